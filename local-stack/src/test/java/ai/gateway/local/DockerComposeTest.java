package ai.gateway.local;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * docker-compose.yml cannot run here (no Docker engine), so this checks it against the applications'
 * own configuration: service names, ports, profiles, and that every variable it sets is one the
 * application reads.
 */
class DockerComposeTest {

  private static final Path HOME = Path.of(System.getProperty("local-stack.home",
      Path.of("").toAbsolutePath().getParent().toString()));
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z0-9_]+)");

  @Test
  void shouldDefineTheBrokerTheDatabaseAndEveryService() {
    assertThat(services().keySet()).containsExactlyInAnyOrder(
        "kafka", "postgres", "api-gateway", "worker", "usage-aggregator");
  }

  static Stream<Service> services_() {
    return Stream.of(Service.values());
  }

  @ParameterizedTest
  @MethodSource("services_")
  void shouldBuildEachServiceFromItsOwnModulesJar(Service service) throws IOException {
    Map<String, Object> compose = service(service.module());
    @SuppressWarnings("unchecked")
    Map<String, Object> build = (Map<String, Object>) compose.get("build");
    @SuppressWarnings("unchecked")
    Map<String, Object> args = (Map<String, Object>) build.get("args");

    assertThat(args).containsEntry("MODULE", service.module());
    assertThat(HOME.resolve(service.module()).resolve("pom.xml")).exists();
    assertThat(Files.readString(HOME.resolve("Dockerfile")))
        .contains("COPY ${MODULE}/target/${MODULE}-" + System.getProperty("local-stack.version", "0.1.0-SNAPSHOT") + ".jar");
  }

  @ParameterizedTest
  @MethodSource("services_")
  void shouldPublishThePortTheApplicationListensOn(Service service) throws IOException {
    Map<String, String> env = environment(service.module());
    int configuredPort = defaultServerPort(service);

    assertThat(configuredPort).isEqualTo(service.designPort());
    assertThat(env).containsEntry("SERVER_PORT", Integer.toString(configuredPort));
    assertThat(ports(service.module())).containsExactly(configuredPort + ":" + configuredPort);
  }

  @ParameterizedTest
  @MethodSource("services_")
  void shouldOnlyActivateProfilesTheApplicationHas(Service service) {
    String profiles = environment(service.module()).get("SPRING_PROFILES_ACTIVE");

    assertThat(profiles).isNotBlank();
    for (String profile : profiles.split(",")) {
      assertThat(resources(service).resolve("application-" + profile.strip() + ".yml")).exists();
    }
  }

  @ParameterizedTest
  @MethodSource("services_")
  void shouldOnlySetVariablesTheApplicationReads(Service service) throws IOException {
    String config = allConfiguration(service);
    Map<String, String> env = environment(service.module());
    List<String> unread = new ArrayList<>();
    for (String variable : env.keySet()) {
      if (variable.equals("SPRING_PROFILES_ACTIVE")) {
        continue;
      }
      boolean placeholder = config.contains("${" + variable + ":") || config.contains("${" + variable + "}");
      boolean relaxedBinding = (variable.startsWith("SPRING_") || variable.startsWith("GATEWAY_"))
          && configuresProperty(config, variable);
      if (!placeholder && !relaxedBinding) {
        unread.add(variable);
      }
    }
    assertThat(unread).as("variables %s sets that %s never reads", "docker-compose.yml", service.module()).isEmpty();
  }

  @Test
  void shouldPassEveryVariableTheComposeFileInterpolates() throws IOException {
    String compose = Files.readString(HOME.resolve("docker-compose.yml"));
    Matcher matcher = PLACEHOLDER.matcher(compose);
    List<String> interpolated = new ArrayList<>();
    while (matcher.find()) {
      interpolated.add(matcher.group(1));
    }
    assertThat(interpolated).isNotEmpty()
        .allSatisfy(name -> assertThat(name).isIn("OPENAI_API_KEY", "OPENAI_BASE_URL", "SENTRY_DSN",
            "POSTGRES_PASSWORD", "ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "GEMINI_API_KEY", "GEMINI_BASE_URL",
            "GATEWAY_AUTH_JWT_SECRET", "GATEWAY_ADMIN_TOKEN", "GATEWAY_CALLBACKS_SIGNINGSECRET"));
  }

  /** SPRING_KAFKA_BOOTSTRAP_SERVERS binds spring.kafka.bootstrap-servers: the nested YAML must name it. */
  private static boolean configuresProperty(String config, String variable) {
    String[] parts = variable.toLowerCase(Locale.ROOT).split("_");
    Map<String, Object> yaml = new LinkedHashMap<>();
    for (Object document : new Yaml().loadAll(config)) {
      if (document instanceof Map<?, ?> map) {
        flatten("", map, yaml);
      }
    }
    return yaml.keySet().stream()
        .map(key -> key.replace("-", "").toLowerCase(Locale.ROOT))
        .anyMatch(key -> key.equals(String.join(".", parts)) || key.replace(".", "").equals(String.join("", parts)));
  }

  private static void flatten(String prefix, Map<?, ?> map, Map<String, Object> into) {
    map.forEach((key, value) -> {
      String name = prefix.isEmpty() ? key.toString() : prefix + "." + key;
      if (value instanceof Map<?, ?> nested) {
        flatten(name, nested, into);
      } else {
        into.put(name, value);
      }
    });
  }

  private static int defaultServerPort(Service service) throws IOException {
    Matcher port = Pattern.compile("port:\\s*\\$\\{SERVER_PORT:(\\d+)}")
        .matcher(Files.readString(resources(service).resolve("application.yml")));
    assertThat(port.find()).as("%s application.yml sets server.port: ${SERVER_PORT:<port>}", service.module()).isTrue();
    return Integer.parseInt(port.group(1));
  }

  private static String allConfiguration(Service service) throws IOException {
    StringBuilder all = new StringBuilder();
    try (Stream<Path> files = Files.list(resources(service))) {
      for (Path file : files.filter(f -> f.getFileName().toString().matches("application.*\\.ya?ml")).toList()) {
        all.append(Files.readString(file)).append("\n---\n");
      }
    }
    return all.toString();
  }

  private static Path resources(Service service) {
    return HOME.resolve(service.module()).resolve("src/main/resources");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> services() {
    try {
      Map<String, Object> compose = new Yaml().load(Files.readString(HOME.resolve("docker-compose.yml")));
      return (Map<String, Object>) compose.get("services");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> service(String name) {
    Map<String, Object> service = (Map<String, Object>) services().get(name);
    assertThat(service).as("compose service %s", name).isNotNull();
    return service;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, String> environment(String name) {
    Map<String, String> env = new LinkedHashMap<>();
    ((Map<String, Object>) service(name).get("environment")).forEach((k, v) -> env.put(k, String.valueOf(v)));
    return env;
  }

  @SuppressWarnings("unchecked")
  private static List<String> ports(String name) {
    return ((List<Object>) service(name).get("ports")).stream().map(String::valueOf).toList();
  }
}
