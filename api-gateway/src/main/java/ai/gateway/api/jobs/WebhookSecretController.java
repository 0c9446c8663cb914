package ai.gateway.api.jobs;

import java.time.Instant;

import ai.gateway.api.access.CallerIdentity;
import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.jspecify.annotations.Nullable;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/webhook-secret} (made on first use) and {@code POST /v1/webhook-secret/rotate}: the secret the
 * caller's callbacks are signed with, per Standard Webhooks. Reading or rotating it creates no work, so it needs
 * authentication only.
 */
@RestController
@Tag(name = "webhooks", description = "The secret that signs the caller's callbacks")
final class WebhookSecretController {

  private final CallerIdentity identity;
  private final WebhookSecrets secrets;

  WebhookSecretController(CallerIdentity identity, WebhookSecrets secrets) {
    this.identity = identity;
    this.secrets = secrets;
  }

  /** The secret, and until when the one it replaced still signs (absent when none does). */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record SecretBody(String secret, @Nullable Instant previousValidUntil) {

    static SecretBody of(WebhookSecrets.Shown shown) {
      return new SecretBody(shown.secret(), shown.previousValidUntil());
    }
  }

  @GetMapping(path = "/v1/webhook-secret", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "The secret that signs the caller's callbacks (whsec_…), made on first use")
  Mono<SecretBody> secret(ServerWebExchange exchange) {
    return identity.resolve(exchange).flatMap(caller -> secrets.current(caller.userId())).map(SecretBody::of);
  }

  @PostMapping(path = "/v1/webhook-secret/rotate", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Replace the secret; the replaced one also signs callbacks until previousValidUntil")
  Mono<SecretBody> rotate(ServerWebExchange exchange) {
    return identity.resolve(exchange).flatMap(caller -> secrets.rotate(caller.userId())).map(SecretBody::of);
  }
}
