package ai.gateway.api.kafka;

import java.time.Instant;

import ai.gateway.schemas.v1.GenerationEvent;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/** How {@link ReplyStream#replay} is served ({@link KafkaReplyTail}: shared channels per job fed by one reply tail). */
interface JobReplays {

  Flux<GenerationEvent> replay(String jobId, Instant createdAt, @Nullable EventPosition after);
}
