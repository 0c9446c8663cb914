package ai.gateway.schemas;

import org.apache.kafka.common.serialization.Serde;

/** A topic's default name with the serdes of its key and value: they travel together. */
public record TopicSpec<K, V>(String defaultName, Serde<K> keySerde, Serde<V> valueSerde, boolean compacted) {
}
