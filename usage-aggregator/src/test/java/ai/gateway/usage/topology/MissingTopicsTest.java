package ai.gateway.usage.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.Test;

class MissingTopicsTest {

  @Test
  void shouldDescribeTheUsageTotalsAndLedgerTopicsUnderTheirConfiguredNames() {
    // given
    TopologyNames names = new TopologyNames("acme.usage", "acme.usage.totals", "acme.usage.ledger");

    // when
    List<NewTopic> topics = MissingTopics.of(names, 6, (short) 3);

    // then
    assertThat(topics).extracting(NewTopic::name)
        .containsExactlyInAnyOrder("acme.usage", "acme.usage.totals", "acme.usage.ledger");
    assertThat(topics).allSatisfy(topic -> {
      assertThat(topic.numPartitions()).isEqualTo(6);
      assertThat(topic.replicationFactor()).isEqualTo((short) 3);
    });
    assertThat(configs(topics, "acme.usage.totals"))
        .containsEntry(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);
    assertThat(configs(topics, "acme.usage")).doesNotContainKey(TopicConfig.CLEANUP_POLICY_CONFIG);
    assertThat(configs(topics, "acme.usage.ledger")).doesNotContainKey(TopicConfig.CLEANUP_POLICY_CONFIG);
  }

  private static Map<String, String> configs(List<NewTopic> topics, String name) {
    NewTopic topic = topics.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow();
    return topic.configs() == null ? Map.of() : topic.configs();
  }
}
