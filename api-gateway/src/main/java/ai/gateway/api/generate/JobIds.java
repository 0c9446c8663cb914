package ai.gateway.api.generate;

import java.time.Instant;
import java.util.UUID;
import java.util.function.Predicate;

import com.fasterxml.uuid.Generators;
import com.fasterxml.uuid.impl.TimeBasedEpochGenerator;
import org.jspecify.annotations.Nullable;

/**
 * Job ids: UUIDv7, time-ordered so they sort by creation, with 74 random bits against guessing, and chosen
 * so that the job's replies come back to this instance: ids are drawn until one is accepted (its key hashes
 * to the partition of {@code ai.replies} this instance reads), about as many draws as the topic has
 * partitions. The draws differ only in their random bits, so the accepted id is as unguessable as any.
 */
public final class JobIds {

  /** 1 - (11/12)^2000 is 1 to within 1e-75 with 12 partitions; the cap only guards against a broken predicate. */
  private static final int MAX_DRAWS = 100_000;

  private final TimeBasedEpochGenerator generator = Generators.timeBasedEpochGenerator();

  /** A new id the predicate accepts; an {@link IllegalStateException} if none is found in {@value #MAX_DRAWS} draws. */
  String next(Predicate<String> accept) {
    for (int draw = 0; draw < MAX_DRAWS; draw++) {
      String id = generator.generate().toString();
      if (accept.test(id)) {
        return id;
      }
    }
    throw new IllegalStateException("no job id routes to this instance's reply partition");
  }

  /** Any new id (for a job that will be refused anyway). */
  String next() {
    return generator.generate().toString();
  }

  /** The UUIDv7 this text is in canonical form (lower case), or {@code null}: an API's ids are only ever these. */
  public static @Nullable UUID parseV7(String id) {
    try {
      UUID parsed = UUID.fromString(id);
      return parsed.version() == 7 && parsed.toString().equals(id) ? parsed : null;
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /** The creation millisecond a UUIDv7 job id carries (its first 48 bits); for replaying the job's events. */
  public static Instant createdAt(String jobId) {
    UUID id = UUID.fromString(jobId);
    if (id.version() != 7) {
      throw new IllegalArgumentException("not a UUIDv7 job id");
    }
    return Instant.ofEpochMilli(id.getMostSignificantBits() >>> 16);
  }
}
