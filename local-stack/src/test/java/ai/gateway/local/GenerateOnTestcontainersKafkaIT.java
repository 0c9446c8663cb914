package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;

import ai.gateway.simulator.LedgerEntry;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import tools.jackson.databind.JsonNode;

/**
 * The end-to-end generate call once more, against a real Kafka in a container instead of the in-process
 * broker. Skipped (reported as skipped) where no Docker engine runs, as on our build machines.
 */
@Testcontainers(disabledWithoutDocker = true)
class GenerateOnTestcontainersKafkaIT {

  @Container
  static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.0");

  @Test
  void shouldGenerateThroughAContainerizedKafka() {
    try (LocalStack stack = LocalStack.builder()
        .externalKafka(KAFKA.getBootstrapServers())
        .services(Service.GATEWAY, Service.WORKER)
        .start()) {
      HttpResponse<String> response = Http.postJson(stack.gatewayUrl() + "/v1/generate", stack.apiKey("containers-user", "pro"), """
          {"prompt":"Hello through a container","model":"sim-tokens-5"}
          """);

      assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
      JsonNode body = Http.json(response.body());
      LedgerEntry call = stack.simulator().ledger().byClientRequestId(body.get("jobId").asString()).get(0);
      assertThat(body.get("content").asString()).isEqualTo(call.content());
      assertThat(body.at("/usage/completionTokens").asLong()).isEqualTo(5);
    }
  }
}
