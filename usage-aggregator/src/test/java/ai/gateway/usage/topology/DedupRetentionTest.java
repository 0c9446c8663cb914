package ai.gateway.usage.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Set;

import ai.gateway.usage.topology.DedupRetention.TopicRetention;
import org.junit.jupiter.api.Test;

/** The rule tying the dedup retention to what {@code ai.usage} can hold; the Kafka side is in UsageAggregatorIT. */
class DedupRetentionTest {

  private static final long DAY = Duration.ofDays(1).toMillis();
  private static final long HOUR = Duration.ofHours(1).toMillis();
  /** Kafka's defaults: delete, 7 days, segments of 7 days, CreateTime, producers up to 1 h ahead. */
  private static final TopicRetention DEFAULTS =
      new TopicRetention("ai.usage", Set.of("delete"), 7 * DAY, 7 * DAY, true, HOUR);

  @Test
  void shouldRememberIdsAsLongAsTheTopicCanHoldARecordWhenNothingIsConfigured() {
    // when
    Duration retention = DedupRetention.resolve(null, DEFAULTS);

    // then: a record may sit in a segment that rolls 7 days after it, which is deleted 7 days after its newest record
    assertThat(retention).isEqualTo(Duration.ofDays(14).plusHours(1).plus(DedupRetention.MARGIN));
  }

  @Test
  void shouldRejectAConfiguredRetentionEqualToTheTopicsRetentionMsAlone() {
    assertThatThrownBy(() -> DedupRetention.resolve(Duration.ofDays(7), DEFAULTS))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("usage.dedup-retention=PT168H is shorter than ai.usage can hold an event")
        .hasMessageContaining("retention.ms 604800000 + segment.ms 604800000");
  }

  @Test
  void shouldKeepAConfiguredRetentionThatCoversTheTopic() {
    assertThat(DedupRetention.resolve(Duration.ofDays(15), DEFAULTS)).isEqualTo(Duration.ofDays(15));
  }

  @Test
  void shouldIgnoreProducerTimestampsUnderLogAppendTime() {
    // given
    TopicRetention logAppendTime = new TopicRetention("ai.usage", Set.of("delete"), DAY, HOUR, false, HOUR);

    // then
    assertThat(DedupRetention.resolve(null, logAppendTime))
        .isEqualTo(Duration.ofDays(1).plusHours(1).plus(DedupRetention.MARGIN));
  }

  @Test
  void shouldAcceptCompactionOnTopOfDeletion() {
    TopicRetention both = new TopicRetention("ai.usage", Set.of("compact", "delete"), DAY, HOUR, false, 0);

    assertThat(DedupRetention.resolve(null, both)).isEqualTo(Duration.ofHours(25).plus(DedupRetention.MARGIN));
  }

  @Test
  void shouldRefuseATopicThatKeepsRecordsForever() {
    TopicRetention infinite = new TopicRetention("ai.usage", Set.of("delete"), -1, 7 * DAY, true, HOUR);
    TopicRetention compactedOnly = new TopicRetention("ai.usage", Set.of("compact"), 7 * DAY, 7 * DAY, true, HOUR);
    TopicRetention noPolicy = new TopicRetention("ai.usage", Set.of(), 7 * DAY, 7 * DAY, true, HOUR);
    TopicRetention overflowing = new TopicRetention("ai.usage", Set.of("delete"), Long.MAX_VALUE, 7 * DAY, true, HOUR);

    for (TopicRetention forever : new TopicRetention[] {infinite, compactedOnly, noPolicy}) {
      assertThatThrownBy(() -> DedupRetention.resolve(null, forever)).isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("keeps records forever");
    }
    assertThatThrownBy(() -> DedupRetention.resolve(Duration.ofDays(10_000), overflowing))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("practically forever");
  }
}
