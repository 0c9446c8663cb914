package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

import tools.jackson.databind.JsonNode;

/** The batches API as a client sees it, for the black-box tests; plus the two database reads they check. */
final class BatchClient {

  private BatchClient() {
  }

  /** {@code POST /v1/batches} of {@code items} JSON items ({@code custom_id} = prefix + index); the batch's id. */
  static String submit(String gateway, String apiKey, String customIdPrefix, int items, IntFunction<String> body) {
    StringBuilder json = new StringBuilder(items * 80).append("{\"requests\":[");
    for (int i = 0; i < items; i++) {
      json.append(i == 0 ? "" : ",").append("{\"custom_id\":\"").append(customIdPrefix).append(i)
          .append("\",\"body\":").append(body.apply(i)).append('}');
    }
    HttpResponse<String> accepted = Http.postJson(gateway + "/v1/batches", apiKey, json.append("]}").toString());
    assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
    return Http.json(accepted.body()).get("id").asString();
  }

  /** {@code GET /v1/batches/{id}}. */
  static JsonNode status(String gateway, String apiKey, String id) {
    HttpResponse<String> response = Http.get(gateway + "/v1/batches/" + id, apiKey);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return Http.json(response.body());
  }

  static long count(JsonNode status, String name) {
    return status.get("counts").get(name).asLong();
  }

  static long finished(JsonNode status) {
    return count(status, "succeeded") + count(status, "failed") + count(status, "cancelled");
  }

  /** {@code POST /v1/batches/{id}/cancel}. */
  static void cancel(String gateway, String apiKey, String id) {
    HttpResponse<String> response = Http.postJson(gateway + "/v1/batches/" + id + "/cancel", apiKey, "");
    assertThat(response.statusCode()).as(response.body()).isEqualTo(202);
  }

  /** {@code GET /v1/batches/{id}/results}, one JSON object per line. */
  static List<JsonNode> results(String gateway, String apiKey, String id) {
    HttpResponse<String> response = Http.send(HttpRequest.newBuilder(URI.create(gateway + "/v1/batches/" + id + "/results"))
        .timeout(Duration.ofSeconds(30)).header("Authorization", "Bearer " + apiKey).GET().build());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/x-ndjson"));
    List<JsonNode> lines = new ArrayList<>();
    for (String line : response.body().split("\n")) {
      if (!line.isBlank()) {
        lines.add(Http.json(line));
      }
    }
    return lines;
  }

  /** The job ids of a batch's items, from {@code batch_items}. */
  static List<String> jobIds(LocalStack stack, String batchId) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(), Postgres.USER, Postgres.PASSWORD);
         PreparedStatement query = db.prepareStatement("select job_id::text from batch_items where batch_id = ?::uuid")) {
      query.setString(1, batchId);
      try (ResultSet rows = query.executeQuery()) {
        while (rows.next()) {
          ids.add(rows.getString(1));
        }
      }
    }
    return ids;
  }

  /** {@code ai_usage} rows per job id of a batch ({@code batch_id} column). */
  static java.util.Map<String, Integer> usageRowsByJob(LocalStack stack, String batchId) throws SQLException {
    java.util.Map<String, Integer> rows = new java.util.HashMap<>();
    try (Connection db = DriverManager.getConnection(stack.postgres().jdbcUrl(), Postgres.USER, Postgres.PASSWORD);
         PreparedStatement query = db.prepareStatement(
             "select job_id, count(*) from ai_usage where batch_id = ? group by job_id")) {
      query.setString(1, batchId);
      try (ResultSet result = query.executeQuery()) {
        while (result.next()) {
          rows.put(result.getString(1), result.getInt(2));
        }
      }
    }
    return rows;
  }
}
