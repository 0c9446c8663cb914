package ai.gateway.usage;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;

/**
 * The usage aggregator: Kafka Streams folds {@code ai.usage} into deduplicated ledger records and daily
 * totals (exactly-once v2), and a writer outside the topology copies both into PostgreSQL idempotently.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class UsageAggregatorApplication {

  public static void main(String[] args) {
    SpringApplication.run(UsageAggregatorApplication.class, args);
  }
}
