package ai.gateway.api.config;

import java.util.Map;

import ai.gateway.schemas.Topics;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/** Topic names ({@code topics.*}, shared by every service) and how missing topics are created. */
@Validated
@ConfigurationProperties(prefix = "topics", ignoreUnknownFields = false)
public record TopicsProperties(
    @DefaultValue("ai.jobs") @NotBlank String jobs,
    @DefaultValue("ai.batch-jobs") @NotBlank String batchJobs,
    @DefaultValue("ai.replies") @NotBlank String replies,
    @DefaultValue("ai.job-status") @NotBlank String jobStatus,
    @DefaultValue("ai.job-control") @NotBlank String jobControl,
    @DefaultValue("ai.providers") @NotBlank String providers,
    @DefaultValue("ai.usage") @NotBlank String usage,
    @DefaultValue("ai.usage.totals") @NotBlank String usageTotals,
    @DefaultValue("ai.callbacks") @NotBlank String callbacks,
    @DefaultValue("12") @Min(1) int partitions,
    @DefaultValue("1") @Min(1) short replicationFactor) {

  /** The configured name of a topic given its default name ({@code Topics.*.defaultName()}). */
  public String name(String defaultName) {
    Map<String, String> names = Map.of(
        Topics.JOBS.defaultName(), jobs,
        Topics.BATCH_JOBS.defaultName(), batchJobs,
        Topics.REPLIES.defaultName(), replies,
        Topics.JOB_STATUS.defaultName(), jobStatus,
        Topics.JOB_CONTROL.defaultName(), jobControl,
        Topics.PROVIDERS.defaultName(), providers,
        Topics.USAGE.defaultName(), usage,
        Topics.USAGE_TOTALS.defaultName(), usageTotals);
    String name = names.get(defaultName);
    if (name == null) {
      throw new IllegalArgumentException("no topic named " + defaultName);
    }
    return name;
  }
}
