package ai.gateway.schemas.serde;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

import org.apache.avro.AvroRuntimeException;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.jspecify.annotations.Nullable;

/**
 * Kafka serde for generated Avro classes using Avro's single-object encoding (C3 01, an 8-byte schema
 * fingerprint, then the binary body). Older writer schemas shipped in {@link ReleasedSchemas} are
 * resolved against the current reader schema, so a consumer reads what an older producer wrote.
 *
 * <p>Decode failures (unknown fingerprint, bad header, truncated body) surface as Kafka's
 * {@link SerializationException}: without the wrapping, Avro's unchecked exceptions bypass Kafka's
 * and Spring's deserialization error handling and kill the poll loop.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

  private final Class<T> type;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  public AvroSerde(Class<T> type) {
    this(type, ReleasedSchemas.forType(type));
  }

  AvroSerde(Class<T> type, List<Schema> olderWriterSchemas) {
    this.type = type;
    Schema schema = SpecificData.get().getSchema(type);
    SchemaStore.Cache store = new SchemaStore.Cache();
    olderWriterSchemas.forEach(store::addSchema);
    this.encoder = new BinaryMessageEncoder<>(SpecificData.getForClass(type), schema);
    this.decoder = new BinaryMessageDecoder<>(SpecificData.getForClass(type), schema, store);
  }

  public Class<T> type() {
    return type;
  }

  @Override
  public byte @Nullable [] serialize(String topic, @Nullable T data) {
    if (data == null) {
      return null;
    }
    try {
      ByteBuffer buffer = encoder.encode(data);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException | AvroRuntimeException e) {
      throw new SerializationException("cannot encode " + type.getSimpleName() + " for topic " + topic, e);
    }
  }

  @Override
  public @Nullable T deserialize(String topic, byte @Nullable [] data) {
    if (data == null) {
      return null; // a tombstone on a compacted topic
    }
    try {
      return decoder.decode(data);
    } catch (IOException | AvroRuntimeException e) {
      throw new SerializationException("cannot decode " + type.getSimpleName() + " from topic " + topic, e);
    }
  }

  @Override
  public void configure(java.util.Map<String, ?> configs, boolean isKey) {
    // configured by construction
  }

  @Override
  public void close() {
    // stateless
  }

  @Override
  public Serializer<T> serializer() {
    return this;
  }

  @Override
  public Deserializer<T> deserializer() {
    return this;
  }
}
