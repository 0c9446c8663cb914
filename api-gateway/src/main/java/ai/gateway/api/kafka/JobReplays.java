package ai.gateway.api.kafka;

import java.time.Instant;

import ai.gateway.schemas.v1.GenerationEvent;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;

/** How {@link ReplyStream#replay} is served: by one job's own read ({@link KafkaReplay}) or a shared channel ({@link KafkaReplyTail}). */
interface JobReplays {

  Flux<GenerationEvent> replay(String jobId, Instant createdAt, @Nullable EventPosition after);
}
