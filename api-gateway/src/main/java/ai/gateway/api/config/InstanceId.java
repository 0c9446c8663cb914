package ai.gateway.api.config;

/** This gateway instance's name, put in every job's {@code replyTo} so replies can be routed back to it. */
public record InstanceId(String value) {
}
