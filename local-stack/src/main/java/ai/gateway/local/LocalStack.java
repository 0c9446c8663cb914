package ai.gateway.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import ai.gateway.schemas.Topics;
import ai.gateway.simulator.ProviderSimulator;
import ai.gateway.simulator.SimulatorConfig;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jspecify.annotations.Nullable;

/**
 * The whole system on one machine: a KRaft broker and PostgreSQL in this JVM, the provider simulator,
 * and each service jar forked into its own JVM. {@link #main} is the one-command local run; tests build a
 * stack on free ports with {@link #builder()}.
 */
public final class LocalStack implements AutoCloseable {

  /** Topic written by the aggregator's topology and read by its PostgreSQL writer. */
  static final String USAGE_LEDGER_TOPIC = "ai.usage.ledger";

  private final Options options;
  private final @Nullable KafkaBroker broker;
  private final String bootstrapServers;
  private final Postgres postgres;
  private final ProviderSimulator simulator;
  // Concurrent: services start in parallel, and a test may restart one service while another restarts.
  private final Map<Service, ServiceProcess> services = new ConcurrentHashMap<>();
  private final Map<Service, Integer> ports = new ConcurrentHashMap<>();
  private final Map<Service, Map<String, String>> overrides = new ConcurrentHashMap<>();
  // Gateway instances beyond the first, by name (startExtraGateway); closed with the stack.
  private final Map<String, ServiceProcess> extraGateways = new ConcurrentHashMap<>();

  private LocalStack(Options options, @Nullable KafkaBroker broker, String bootstrapServers, Postgres postgres,
      ProviderSimulator simulator) {
    this.options = options;
    this.broker = broker;
    this.bootstrapServers = bootstrapServers;
    this.postgres = postgres;
    this.simulator = simulator;
  }

  public static Builder builder() {
    return new Builder();
  }

  private static LocalStack start(Options options) {
    Path work = options.workDir();
    KafkaBroker broker = null;
    String bootstrap = options.externalKafka();
    if (bootstrap == null) {
      deleteRecursively(work.resolve("kafka"));
      // Kafka Streams state belongs to the broker's data: a fresh broker needs fresh state.
      deleteRecursively(work.resolve("usage-aggregator-state"));
      broker = KafkaBroker.start(options.brokerPort(), work.resolve("kafka"));
      bootstrap = broker.bootstrapServers();
    }
    Postgres postgres = null;
    ProviderSimulator simulator = null;
    LocalStack stack;
    try {
      createTopics(bootstrap, options.partitions());
      postgres = Postgres.start(options.postgresPort(), options.postgresDataDir());
      simulator = ProviderSimulator.start(options.simulator());
      stack = new LocalStack(options, broker, bootstrap, postgres, simulator);
    } catch (RuntimeException e) {
      if (simulator != null) {
        simulator.close();
      }
      if (postgres != null) {
        postgres.close();
      }
      if (broker != null) {
        broker.close();
      }
      throw e;
    }
    try {
      for (Service service : options.services()) {
        stack.ports.put(service, options.fixedPorts() ? service.designPort() : FreePorts.next());
      }
      stack.startServices(options.services());
      return stack;
    } catch (RuntimeException e) {
      stack.close(); // also stops the services that did start
      throw e;
    }
  }

  /** Starts the given services in parallel (they do not depend on each other) and waits until healthy. */
  public void startServices(List<Service> toStart) {
    List<CompletableFuture<ServiceProcess>> starting = toStart.stream()
        .map(service -> CompletableFuture.supplyAsync(() -> startService(service)))
        .toList();
    RuntimeException failure = null;
    for (CompletableFuture<ServiceProcess> future : starting) {
      try {
        ServiceProcess process = future.get(options.startTimeout().toSeconds() + 10, TimeUnit.SECONDS);
        services.put(process.service(), process);
      } catch (ExecutionException e) {
        failure = e.getCause() instanceof RuntimeException runtime ? runtime : new IllegalStateException(e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        failure = new IllegalStateException("interrupted while starting services", e);
      } catch (TimeoutException e) {
        failure = new IllegalStateException("services did not start in time", e);
      }
    }
    if (failure != null) {
      throw failure; // the caller closes the stack, and with it the services that did start
    }
  }

  private ServiceProcess startService(Service service) {
    int port = ports.computeIfAbsent(service, s -> FreePorts.next());
    Path jar = options.home().resolve(service.module()).resolve("target")
        .resolve(service.module() + "-" + options.version() + ".jar");
    Path log = options.workDir().resolve("logs").resolve(service.module() + ".log");
    ServiceProcess process = ServiceProcess.fork(service, jar, port, environmentFor(service), options.jvmArgs(), log, options.home());
    try {
      process.awaitHealthy(options.startTimeout());
    } catch (RuntimeException e) {
      process.close();
      throw e;
    }
    return process;
  }

  /**
   * Starts another gateway instance on a free port, with the same environment as the stack's gateway and
   * {@code GATEWAY_INSTANCE_ID=name}; waits until it is healthy. It leases its own partition of
   * {@code ai.replies} (the stack's topics have 4 partitions, so up to 4 instances each get one), logs to
   * {@code logs/api-gateway-<name>.log}, and is stopped with the stack. {@link #gatewayUrl()} and
   * {@link #admin()} keep naming the first gateway.
   */
  public ServiceProcess startExtraGateway(String name) {
    if (!name.matches("[a-z0-9-]{1,40}") || extraGateways.containsKey(name)) {
      throw new IllegalArgumentException("a new extra gateway needs a new name of [a-z0-9-]: " + name);
    }
    Map<String, String> env = environmentFor(Service.GATEWAY);
    env.put("GATEWAY_INSTANCE_ID", name);
    Path jar = options.home().resolve(Service.GATEWAY.module()).resolve("target")
        .resolve(Service.GATEWAY.module() + "-" + options.version() + ".jar");
    Path log = options.workDir().resolve("logs").resolve(Service.GATEWAY.module() + "-" + name + ".log");
    ServiceProcess process = ServiceProcess.fork(Service.GATEWAY, jar, FreePorts.next(), env, options.jvmArgs(), log,
        options.home());
    extraGateways.put(name, process);
    process.awaitHealthy(options.startTimeout()); // on failure the process is closed with the stack
    return process;
  }

  /** Restarts a service on the same port, e.g. after {@link ServiceProcess#kill()}. */
  public ServiceProcess restart(Service service) {
    return restart(service, Map.of());
  }

  /**
   * Restarts a service on the same port with changed environment variables; an empty value removes the
   * variable (e.g. {@code OPENAI_API_KEY=""} starts a worker without an OpenAI key).
   */
  public ServiceProcess restart(Service service, Map<String, String> environment) {
    overrides.put(service, Map.copyOf(environment));
    ServiceProcess old = services.remove(service);
    if (old != null) {
      old.close();
    }
    startServices(List.of(service));
    return services.get(service);
  }

  Map<String, String> environmentFor(Service service) {
    Map<String, String> env = new LinkedHashMap<>(options.env());
    env.put("SPRING_PROFILES_ACTIVE", String.join(",", options.profiles()));
    env.put("SPRING_KAFKA_BOOTSTRAP_SERVERS", bootstrapServers);
    env.put("SPRING_DATASOURCE_URL", postgres.jdbcUrl());
    env.put("SPRING_DATASOURCE_USERNAME", Postgres.USER);
    env.put("SPRING_DATASOURCE_PASSWORD", Postgres.PASSWORD);
    env.put("SPRING_R2DBC_URL", postgres.r2dbcUrl());
    env.put("SPRING_R2DBC_USERNAME", Postgres.USER);
    env.put("SPRING_R2DBC_PASSWORD", Postgres.PASSWORD);
    env.put("SPRING_FLYWAY_URL", postgres.jdbcUrl());
    env.put("SPRING_FLYWAY_USER", Postgres.USER);
    env.put("SPRING_FLYWAY_PASSWORD", Postgres.PASSWORD);
    env.put("TOPICS_PARTITIONS", Integer.toString(options.partitions()));
    if (service == Service.AGGREGATOR) {
      // Kafka Streams state belongs to this stack's broker: never a directory another stack on the
      // machine (or an earlier one) uses. Kept across restarts of the aggregator, as a volume would be.
      env.put("USAGE_STATEDIR", options.workDir().resolve("usage-aggregator-state").toAbsolutePath().toString());
    }
    if (service == Service.WORKER) {
      // A provider without a real key is the simulator. With a real key and no base URL, the real API is used.
      simulateUnlessKeyed(env, "OPENAI", simulator.openAiBaseUrl());
      simulateUnlessKeyed(env, "ANTHROPIC", simulator.anthropicBaseUrl());
      simulateUnlessKeyed(env, "GEMINI", simulator.geminiBaseUrl());
    }
    overrides.getOrDefault(service, Map.of()).forEach((name, value) -> {
      if (value.isEmpty()) {
        env.remove(name);
      } else {
        env.put(name, value);
      }
    });
    return env;
  }

  private static void simulateUnlessKeyed(Map<String, String> env, String provider, String simulatorUrl) {
    if (isBlank(env.get(provider + "_API_KEY"))) {
      // Without a key, a base URL of the user's own (Ollama, vLLM) is kept and given a placeholder key.
      env.put(provider + "_API_KEY", "sk-local-simulator");
      if (isBlank(env.get(provider + "_BASE_URL"))) {
        env.put(provider + "_BASE_URL", simulatorUrl);
      }
    }
  }

  private static boolean isBlank(@Nullable String value) {
    return value == null || value.isBlank();
  }

  static void createTopics(String bootstrapServers, int partitions) {
    Properties props = new Properties();
    props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    try (Admin admin = Admin.create(props)) {
      List<NewTopic> topics = new ArrayList<>(Topics.newTopics(partitions, (short) 1, UnaryOperator.identity()));
      topics.add(new NewTopic(USAGE_LEDGER_TOPIC, partitions, (short) 1));
      for (NewTopic topic : topics) {
        try {
          admin.createTopics(List.of(topic)).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + topic.name(), e.getCause());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("the broker did not create the topics in time", e);
    }
  }

  /** The in-process broker; absent when the stack runs against an external Kafka. */
  public @Nullable KafkaBroker broker() {
    return broker;
  }

  public String bootstrapServers() {
    return bootstrapServers;
  }

  public Postgres postgres() {
    return postgres;
  }

  public ProviderSimulator simulator() {
    return simulator;
  }

  public ServiceProcess service(Service service) {
    ServiceProcess process = services.get(service);
    if (process == null) {
      throw new IllegalStateException(service.module() + " is not running");
    }
    return process;
  }

  public String gatewayUrl() {
    return service(Service.GATEWAY).baseUrl();
  }

  /** The gateway's admin API, with the admin token the gateway was started with. */
  public GatewayAdmin admin() {
    String token = environmentFor(Service.GATEWAY).get("GATEWAY_ADMIN_TOKEN");
    return new GatewayAdmin(gatewayUrl(), isBlank(token) ? GatewayAdmin.DEVELOPMENT_TOKEN : token);
  }

  /** A fresh API key of a user on the plan, created through the admin API (the user is created if new). */
  public String apiKey(String userId, String plan) {
    return admin().userWithKey(userId, plan);
  }

  @Override
  public void close() {
    // Services first, so none of them logs a storm of connection errors while the broker goes away.
    Stream.concat(services.values().stream(), extraGateways.values().stream()).toList()
        .parallelStream().forEach(ServiceProcess::close);
    services.clear();
    extraGateways.clear();
    simulator.close();
    postgres.close();
    if (broker != null) {
      broker.close();
    }
  }

  private static void deleteRecursively(Path dir) {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The one-command local run: design ports, the {@code local} profile, {@code .env} if present. With
   * {@code bench} as the first argument, the benchmark harness instead ({@link ai.gateway.local.bench.Benchmark}).
   */
  public static void main(String[] args) throws Exception {
    if (args.length > 0 && args[0].equals("bench")) {
      ai.gateway.local.bench.Benchmark.main(java.util.Arrays.copyOfRange(args, 1, args.length));
      return;
    }
    Path home = Path.of(System.getProperty("local-stack.home", ".")).toAbsolutePath().normalize();
    Map<String, String> env = DotEnv.load(home.resolve(".env"), System.getenv());
    for (int port : new int[] {9092, 5432, 8090, 8080, 8081, 8082}) {
      if (!FreePorts.isFree(port)) {
        // Before anything is wiped: a second run would delete the first one's broker data under it.
        System.err.println("Port " + port + " is in use (another local run, or a service on it). Stop it first.");
        System.exit(1);
      }
    }
    System.out.println("Starting Kafka (KRaft), PostgreSQL, the provider simulator and the services...");
    LocalStack stack = builder()
        .home(home)
        .workDir(home.resolve(".local-stack"))
        .postgresDataDir(Path.of(System.getProperty("java.io.tmpdir"), "ai-gateway-local-postgres"))
        .fixedPorts()
        .profiles("local")
        .env(env)
        .simulator(SimulatorConfig.defaults().withPort(8090))
        .start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      System.out.println("\nStopping...");
      stack.close();
      System.out.println("Stopped.");
      stopped.countDown();
    }, "local-stack-shutdown"));
    String providers = Stream.of("OPENAI", "ANTHROPIC", "GEMINI")
        .map(name -> name.toLowerCase(java.util.Locale.ROOT) + (isBlank(env.get(name + "_API_KEY")) ? " (simulated)" : " (real API)"))
        .collect(java.util.stream.Collectors.joining(", "));
    // The keys printed are the only live keys of the seeded users: a previous run's are revoked.
    GatewayAdmin admin = stack.admin();
    Map<String, String> keys = new LinkedHashMap<>();
    for (String[] seed : new String[][] {{"pro-user", "pro"}, {"free-user", "free"}}) {
      admin.upsertUser(seed[0], seed[1]);
      admin.revokeApiKeys(seed[0]);
      keys.put(seed[0], admin.createApiKey(seed[0]));
    }
    System.out.println(Banner.ready(stack, providers, keys.get("pro-user"), keys.get("free-user")));
    stopped.await();
  }

  /** What a stack is made of. */
  record Options(Path home, String version, Path workDir, Path postgresDataDir, boolean fixedPorts,
      int brokerPort, int postgresPort, SimulatorConfig simulator, List<Service> services, List<String> profiles,
      Map<String, String> env, List<String> jvmArgs, int partitions, Duration startTimeout,
      @Nullable String externalKafka) {
  }

  /** Builds a stack; the defaults suit tests: free ports, all services, the {@code test} profile. */
  public static final class Builder {
    private Path home = Path.of(System.getProperty("local-stack.home", ".")).toAbsolutePath().normalize();
    private String version = System.getProperty("local-stack.version", "0.1.0-SNAPSHOT");
    private @Nullable Path workDir;
    private @Nullable Path postgresDataDir;
    private boolean fixedPorts;
    private SimulatorConfig simulator = SimulatorConfig.defaults();
    private List<Service> services = List.of(Service.values());
    private List<String> profiles = List.of("test");
    private Map<String, String> env = Map.of();
    private List<String> jvmArgs = List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
    private int partitions = 4;
    private Duration startTimeout = Duration.ofSeconds(120);
    private @Nullable String externalKafka;

    /** Runs against this Kafka instead of starting a broker in-process. */
    public Builder externalKafka(String bootstrapServers) {
      this.externalKafka = bootstrapServers;
      return this;
    }

    public Builder home(Path home) {
      this.home = home;
      return this;
    }

    public Builder workDir(Path workDir) {
      this.workDir = workDir;
      return this;
    }

    public Builder postgresDataDir(Path dir) {
      this.postgresDataDir = dir;
      return this;
    }

    /** The design's ports: gateway 8080, worker 8081, aggregator 8082, simulator 8090, Kafka 9092, PostgreSQL 5432. */
    public Builder fixedPorts() {
      this.fixedPorts = true;
      this.partitions = 12;
      this.jvmArgs = List.of("-Xmx768m");
      return this;
    }

    public Builder simulator(SimulatorConfig simulator) {
      this.simulator = simulator;
      return this;
    }

    public Builder services(Service... services) {
      this.services = List.of(services);
      return this;
    }

    public Builder profiles(String... profiles) {
      this.profiles = List.of(profiles);
      return this;
    }

    public Builder env(Map<String, String> env) {
      this.env = Map.copyOf(env);
      return this;
    }

    public Builder jvmArgs(String... jvmArgs) {
      this.jvmArgs = List.of(jvmArgs);
      return this;
    }

    public LocalStack start() {
      Path work = workDir != null ? workDir : tempDir();
      Path pgData = postgresDataDir != null ? postgresDataDir : work.resolve("postgres");
      return LocalStack.start(new Options(home, version, work, pgData, fixedPorts, fixedPorts ? 9092 : 0,
          fixedPorts ? 5432 : 0, simulator, services, profiles, env, jvmArgs, partitions, startTimeout, externalKafka));
    }

    private static Path tempDir() {
      try {
        return Files.createTempDirectory("local-stack");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
