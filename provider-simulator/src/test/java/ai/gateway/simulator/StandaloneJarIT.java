package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.simulator.SimClient.Reply;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The executable jar that `package` attaches (classifier exec), run as the local run and benchmarks do. */
class StandaloneJarIT {

  private static final Pattern LISTENING = Pattern.compile("provider-simulator listening on (\\d+)");

  private Process process;

  @AfterEach
  void stop() {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
  }

  @Test
  void shouldServeFromTheExecutableJarWithEnvironmentSettingsAndStopOnSigterm() throws Exception {
    // given
    ProcessBuilder builder = new ProcessBuilder(javaBinary(), "-jar", execJar().toString(), "--port=0")
        .redirectErrorStream(true);
    builder.environment().putAll(Map.of("SIM_HOST", "127.0.0.1", "SIM_TTFT_MS", "1", "SIM_TOKENS_PER_SECOND", "1000",
        "SIM_ANSWER_TOKENS", "4"));

    // when
    process = builder.start();
    BufferedReader output = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    int port = CompletableFuture.supplyAsync(() -> awaitPort(output)).get(30, TimeUnit.SECONDS);

    // then
    try (SimClient client = new SimClient("http://127.0.0.1:" + port)) {
      assertThat(client.get("/_sim/health").status()).isEqualTo(200);
      Reply reply = client.chat("""
          {"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true}
          """, Map.of("X-Client-Request-Id", "standalone-1"));
      assertThat(reply.contentChunks()).as("SIM_ANSWER_TOKENS=4").hasSize(4);
      assertThat(client.get("/_sim/ledger?clientRequestId=standalone-1").json()).hasSize(1);
    }
    process.destroy(); // SIGTERM
    assertThat(process.waitFor(15, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
  }

  private static int awaitPort(BufferedReader output) {
    try {
      String line;
      while ((line = output.readLine()) != null) {
        Matcher matcher = LISTENING.matcher(line);
        if (matcher.find()) {
          return Integer.parseInt(matcher.group(1));
        }
      }
      throw new IllegalStateException("the simulator exited without listening");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Path execJar() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      List<Path> jars = files.filter(path -> path.getFileName().toString().matches("provider-simulator-.*-exec\\.jar"))
          .toList();
      assertThat(jars).as("the repackaged jar in target/").hasSize(1);
      return jars.get(0);
    }
  }

  private static String javaBinary() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }
}
