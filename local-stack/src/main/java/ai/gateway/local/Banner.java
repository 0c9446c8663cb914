package ai.gateway.local;

/** What the local run prints once everything is up: where things are and calls ready to paste. */
final class Banner {

  private Banner() {
  }

  static String ready(LocalStack stack, String providers, String proKey, String freeKey) {
    String gateway = stack.gatewayUrl();
    return """

        AI gateway is running (profile local). Ctrl-C stops everything.

          gateway             %s   (OpenAPI: %s/v3/api-docs)
          worker              %s
          usage-aggregator    %s
          provider simulator  %s   (ledger: %s/_sim/ledger)
          Kafka (KRaft)       %s
          PostgreSQL          %s   (user postgres, password postgres)
          providers           %s
          logs                %s

        Users (new keys at every start; the admin token is local-admin-token unless .env sets GATEWAY_ADMIN_TOKEN):
          pro-user   plan pro  (has ai_access)   Authorization: Bearer %s
          free-user  plan free (no ai_access)    Authorization: Bearer %s

        A non-streamed call:
          curl -s %s/v1/generate -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\
            -d '{"prompt":"Say hello in three words","maxTokens":50}'

        A streamed call (Server-Sent Events):
          curl -N %s/v1/generate/stream -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\
            -d '{"prompt":"Tell me a short story","maxTokens":200}'

        A simulator scenario (see provider-simulator/README.md), e.g. a provider error:
          curl -s %s/v1/generate -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\
            -d '{"prompt":"hi","provider":"openai","model":"sim-error-500"}'

        The Free user is refused (403 ENTITLEMENT_REQUIRED):
          curl -s %s/v1/generate -H 'Authorization: Bearer %s' -H 'Content-Type: application/json' \\
            -d '{"prompt":"hi"}'
        """.formatted(
        gateway, gateway,
        stack.service(Service.WORKER).baseUrl(),
        stack.service(Service.AGGREGATOR).baseUrl(),
        stack.simulator().baseUrl(), stack.simulator().baseUrl(),
        stack.bootstrapServers(),
        stack.postgres().jdbcUrl(),
        providers,
        stack.service(Service.GATEWAY).log().getParent(),
        proKey, freeKey,
        gateway, proKey, gateway, proKey, gateway, proKey, gateway, freeKey);
  }
}
