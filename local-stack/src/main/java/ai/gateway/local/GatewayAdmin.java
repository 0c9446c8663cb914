package ai.gateway.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The gateway's admin API as the local run and the black-box tests use it: users, plans and API keys,
 * over real HTTP with the admin token. Only the design's public contract is used here.
 */
public final class GatewayAdmin {

  /** The admin token of the {@code local} and {@code test} profiles (refused anywhere else). */
  public static final String DEVELOPMENT_TOKEN = "local-admin-token";

  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient CLIENT = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

  private final String gatewayUrl;
  private final String adminToken;

  public GatewayAdmin(String gatewayUrl, String adminToken) {
    this.gatewayUrl = gatewayUrl;
    this.adminToken = adminToken;
  }

  /** Creates the user, or sets an existing user's plan. */
  public void upsertUser(String userId, String plan) {
    ObjectNode body = JSON.createObjectNode().put("id", userId).put("plan", plan);
    JsonNode answer = call(HttpRequest.newBuilder(URI.create(gatewayUrl + "/admin/users"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
    if (!userId.equals(answer.path("id").asString())) {
      throw new IllegalStateException("the gateway did not create user " + userId);
    }
  }

  /** A new API key of the user, as {@code Authorization: Bearer} takes it. */
  public String createApiKey(String userId) {
    JsonNode answer = call(HttpRequest.newBuilder(URI.create(gatewayUrl + "/admin/users/" + userId + "/api-keys"))
        .POST(HttpRequest.BodyPublishers.noBody()));
    return answer.get("key").asString();
  }

  /** Revokes every live key of the user (e.g. the previous local run's). */
  public void revokeApiKeys(String userId) {
    JsonNode keys = call(HttpRequest.newBuilder(URI.create(gatewayUrl + "/admin/users/" + userId + "/api-keys")).GET());
    for (JsonNode key : keys) {
      if (key.path("revokedAt").isNull() || key.path("revokedAt").isMissingNode()) {
        call(HttpRequest.newBuilder(URI.create(gatewayUrl + "/admin/api-keys/" + key.get("id").asString())).DELETE());
      }
    }
  }

  /** A user on the plan with one fresh key: the key. */
  public String userWithKey(String userId, String plan) {
    upsertUser(userId, plan);
    return createApiKey(userId);
  }

  private JsonNode call(HttpRequest.Builder request) {
    HttpResponse<String> response;
    try {
      response = CLIENT.send(request.timeout(Duration.ofSeconds(30))
          .header("Authorization", "Bearer " + adminToken).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (response.statusCode() / 100 != 2) {
      throw new IllegalStateException("admin call " + response.request().method() + " " + response.request().uri().getPath()
          + " answered " + response.statusCode() + ": " + response.body());
    }
    return response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
  }
}
