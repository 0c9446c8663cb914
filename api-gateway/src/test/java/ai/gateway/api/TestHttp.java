package ai.gateway.api;

import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;
import io.netty.resolver.DefaultAddressResolverGroup;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * HTTP clients for the integration tests, on event loops and a connection pool of their own.
 *
 * <p>A client made with {@code WebTestClient.bindToServer()} or {@code WebClient.create(url)} runs on Reactor
 * Netty's global {@code HttpResources} and its shared DNS resolver, which the test JVM shares with every
 * application context it starts. When a context closes (after a class, or a test that stops a gateway), the
 * global resources are disposed and made anew; a request that resolves {@code localhost} at that moment never
 * gets its answer and the test waits out its 20 s response timeout (seen in AccessIT, UsageIT and GenerateIT,
 * each time right after another class closed its gateways; thread dumps showed every thread idle, so the
 * request never reached the server). Loops of their own were not enough: the resolver is global too. These
 * clients use their own loops and pool and the JDK's resolver, none of which a context can dispose.
 */
public final class TestHttp {

  private static final LoopResources LOOPS = LoopResources.create("test-http", 2, true);
  /**
   * A new connection per request, never a pooled one: the stalls were always on a request after earlier ones in the
   * same class, and a keep-alive connection reused after an answer the server gave before reading the request's
   * body (406, 413, 415, 401 …) is the suspect (not proven); fresh connections take it out of the tests.
   */
  private static final ConnectionProvider CONNECTIONS = ConnectionProvider.newConnection();

  /** For every client of the tests. */
  public static final ReactorClientHttpConnector CONNECTOR = connector(CONNECTIONS);

  private TestHttp() {
  }

  public static WebTestClient.Builder bindToServer() {
    return WebTestClient.bindToServer(CONNECTOR);
  }

  public static WebClient webClient(String baseUrl) {
    return WebClient.builder().clientConnector(CONNECTOR).baseUrl(baseUrl).build();
  }

  /** A connector on the tests' loops with a pool of its own (a test that needs many connections at once). */
  public static ReactorClientHttpConnector connector(ConnectionProvider connections) {
    return new ReactorClientHttpConnector(HttpClient.create(connections).runOn(LOOPS)
        .resolver(DefaultAddressResolverGroup.INSTANCE));
  }
}
