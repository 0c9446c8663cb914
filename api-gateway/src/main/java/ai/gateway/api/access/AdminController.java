package ai.gateway.api.access;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import ai.gateway.api.access.PostgresAccounts.KeyInfo;
import ai.gateway.api.access.PostgresAccounts.User;
import ai.gateway.api.config.GatewayProperties;
import ai.gateway.api.config.StrictJson;
import ai.gateway.api.error.ApiError;
import ai.gateway.api.error.ErrorCode;
import ai.gateway.api.error.FieldViolation;
import com.fasterxml.jackson.annotation.JsonInclude;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Mono;

/**
 * The design's admin API for users and keys, behind {@code gateway.admin.token} (see SecurityConfiguration).
 * Changes apply on this instance at once and on the others within {@code gateway.auth.cache-ttl}.
 * Keys are shown once, in the answer that creates them; listings never include them.
 */
@RestController
@RequestMapping("/admin")
final class AdminController {

  private static final int MAX_EMAIL_LENGTH = 320;
  private static final int MAX_PLAN_LENGTH = 64;

  private final PostgresAccounts accounts;
  private final AccessCache cache;
  private final StrictJson json;
  private final long maxBodyBytes;

  AdminController(PostgresAccounts accounts, AccessCache cache, StrictJson json, GatewayProperties properties) {
    this.accounts = accounts;
    this.cache = cache;
    this.json = json;
    this.maxBodyBytes = properties.maxBodySize().toBytes();
  }

  record CreateUserRequest(@Nullable String id, @Nullable String email, @Nullable String plan) {
  }

  record PlanRequest(@Nullable String plan) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  record UserBody(String id, @Nullable String email, String plan, Instant createdAt) {

    static UserBody of(User user) {
      return new UserBody(user.id(), user.email(), user.plan(), user.createdAt());
    }
  }

  record NewKeyBody(String id, String key) {
  }

  @JsonInclude(JsonInclude.Include.NON_NULL)
  record KeyBody(String id, String prefix, @Nullable String label, Instant createdAt, @Nullable Instant revokedAt) {

    static KeyBody of(KeyInfo key) {
      return new KeyBody(key.id().toString(), key.prefix(), key.label(), key.createdAt(), key.revokedAt());
    }
  }

  /** Creates a user, or updates an existing one's plan (and e-mail, if given): 201 when created, 200 otherwise. */
  @PostMapping(path = "/users", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<UserBody>> createUser(ServerWebExchange exchange) {
    return json.read(exchange.getRequest(), CreateUserRequest.class, maxBodyBytes)
        .flatMap(request -> {
          List<FieldViolation> errors = new ArrayList<>();
          String id = request.id() == null ? UUID.randomUUID().toString() : request.id();
          if (!UserIds.isValid(id)) {
            errors.add(new FieldViolation("id", "must match [A-Za-z0-9._:@|+-]{1,255}"));
          }
          if (request.email() != null && !validEmail(request.email())) {
            errors.add(new FieldViolation("email", "must be an e-mail address of at most " + MAX_EMAIL_LENGTH + " characters"));
          }
          String plan = checkPlanField(request.plan(), errors);
          if (!errors.isEmpty()) {
            return Mono.error(ApiError.invalid("The request has invalid fields.", errors).exception());
          }
          return knownPlan(plan)
              .then(accounts.upsertUser(id, request.email(), plan))
              .doOnNext(user -> cache.forgetUser(user.id()))
              .map(user -> ResponseEntity.status(user.created() ? HttpStatus.CREATED : HttpStatus.OK).body(UserBody.of(user)));
        });
  }

  @PutMapping(path = "/users/{id}/plan", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<UserBody> setPlan(@PathVariable String id, ServerWebExchange exchange) {
    return json.read(exchange.getRequest(), PlanRequest.class, maxBodyBytes)
        .flatMap(request -> {
          List<FieldViolation> errors = new ArrayList<>();
          String plan = checkPlanField(request.plan(), errors);
          if (!errors.isEmpty()) {
            return Mono.error(ApiError.invalid("The request has an invalid field.", errors).exception());
          }
          return knownPlan(plan)
              .then(UserIds.isValid(id) ? accounts.setPlan(id, plan) : Mono.<User>empty())
              .switchIfEmpty(Mono.error(() -> noSuchUser()))
              .doOnNext(user -> cache.forgetUser(user.id()))
              .map(UserBody::of);
        });
  }

  @PostMapping(path = "/users/{id}/api-keys", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<ResponseEntity<NewKeyBody>> createKey(@PathVariable String id) {
    if (!UserIds.isValid(id)) {
      return Mono.error(noSuchUser());
    }
    String key = ApiKeys.generate();
    UUID keyId = UUID.randomUUID();
    return accounts.insertKey(id, keyId, ApiKeys.hash(key), ApiKeys.shownPrefix(key), null)
        .switchIfEmpty(Mono.error(() -> noSuchUser()))
        // An earlier "no such key" for this hash cannot exist (the key is new), but a cached one must never outlive creation.
        .doOnNext(created -> cache.forgetKey(ApiKeys.hash(key)))
        .map(created -> ResponseEntity.status(HttpStatus.CREATED).body(new NewKeyBody(keyId.toString(), key)));
  }

  @GetMapping(path = "/users/{id}/api-keys", produces = MediaType.APPLICATION_JSON_VALUE)
  Mono<List<KeyBody>> keys(@PathVariable String id) {
    if (!UserIds.isValid(id)) {
      return Mono.error(noSuchUser());
    }
    return accounts.userExists(id)
        .flatMap(exists -> exists ? accounts.keys(id).map(KeyBody::of).collectList() : Mono.error(noSuchUser()));
  }

  @DeleteMapping("/api-keys/{keyId}")
  Mono<ResponseEntity<Void>> revoke(@PathVariable String keyId) {
    UUID id;
    try {
      id = UUID.fromString(keyId);
    } catch (IllegalArgumentException e) {
      return Mono.error(noSuchKey());
    }
    return accounts.revoke(id)
        .switchIfEmpty(Mono.error(() -> noSuchKey()))
        .doOnNext(revoked -> cache.forgetKey(revoked.hash()))
        .thenReturn(ResponseEntity.noContent().build());
  }

  private static String checkPlanField(@Nullable String plan, List<FieldViolation> errors) {
    if (plan == null) {
      errors.add(new FieldViolation("plan", "is required"));
      return "";
    }
    if (plan.isEmpty() || plan.length() > MAX_PLAN_LENGTH || !plan.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      errors.add(new FieldViolation("plan", "must be a plan id"));
    }
    return plan;
  }

  private Mono<Void> knownPlan(String plan) {
    return accounts.planExists(plan).flatMap(exists -> exists ? Mono.<Void>empty()
        : Mono.error(ApiError.invalidField("plan", "is not a known plan").exception()));
  }

  private static boolean validEmail(String email) {
    int at = email.indexOf('@');
    return email.codePointCount(0, email.length()) <= MAX_EMAIL_LENGTH && at > 0 && at == email.lastIndexOf('@')
        && at < email.length() - 1 && email.codePoints().noneMatch(cp -> Character.isWhitespace(cp) || Character.isISOControl(cp));
  }

  private static RuntimeException noSuchUser() {
    return ApiError.of(ErrorCode.NOT_FOUND, "No such user.").exception();
  }

  private static RuntimeException noSuchKey() {
    return ApiError.of(ErrorCode.NOT_FOUND, "No such API key.").exception();
  }
}
