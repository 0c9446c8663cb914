package ai.gateway.api.access;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.api.error.ApiException;
import ai.gateway.api.error.ErrorCode;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.mock.http.server.reactive.MockServerHttpRequest;
import org.springframework.mock.web.server.MockServerWebExchange;
import org.springframework.security.oauth2.server.resource.InvalidBearerTokenException;
import org.springframework.security.oauth2.server.resource.authentication.BearerTokenAuthenticationToken;
import reactor.test.StepVerifier;

class BearerCredentialsTest {

  private static final String KEY = "aig_" + "A".repeat(43);
  private final BearerCredentials credentials = new BearerCredentials();

  @Test
  void shouldReadOneBearerToken() {
    StepVerifier.create(credentials.convert(exchange(MockServerHttpRequest.get("/v1/x")
            .header(HttpHeaders.AUTHORIZATION, "bearer " + KEY))))
        .assertNext(auth -> assertThat(((BearerTokenAuthenticationToken) auth).getToken()).isEqualTo(KEY))
        .verifyComplete();
  }

  @Test
  void shouldBeEmptyWithoutCredentials() {
    StepVerifier.create(credentials.convert(exchange(MockServerHttpRequest.get("/v1/x")))).verifyComplete();
  }

  @Test
  void shouldRefuseCredentialsInTheQueryStringEvenNextToAHeader() {
    for (String query : new String[] {"?api_key=" + KEY, "?access_token=abc", "?x=" + KEY, "?Key=abc",
        "?q=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.sig"}) {
      StepVerifier.create(credentials.convert(exchange(MockServerHttpRequest.get("/v1/x" + query)
              .header(HttpHeaders.AUTHORIZATION, "Bearer " + KEY))))
          .expectError(BearerCredentials.CredentialsInUrlException.class)
          .verify();
    }
    StepVerifier.create(credentials.convert(exchange(MockServerHttpRequest.get("/v1/x?limit=10&after=abc")))).verifyComplete();
  }

  @Test
  void shouldAnswer400ForMoreThanOneCredential() {
    MockServerHttpRequest twoHeaders = MockServerHttpRequest.get("/v1/x")
        .header(HttpHeaders.AUTHORIZATION, "Bearer " + KEY, "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig").build();
    MockServerHttpRequest headerAndApiKey = MockServerHttpRequest.get("/v1/x")
        .header(HttpHeaders.AUTHORIZATION, "Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig").header("X-API-Key", KEY).build();

    for (MockServerHttpRequest request : new MockServerHttpRequest[] {twoHeaders, headerAndApiKey}) {
      StepVerifier.create(credentials.convert(MockServerWebExchange.from(request)))
          .expectErrorSatisfies(e -> assertThat(((ApiException) e).error().code()).isEqualTo(ErrorCode.INVALID_REQUEST))
          .verify();
    }
  }

  @Test
  void shouldRefuseOtherSchemesAndMalformedTokens() {
    StepVerifier.create(credentials.convert(exchange(MockServerHttpRequest.get("/v1/x")
            .header(HttpHeaders.AUTHORIZATION, "Basic dXNlcjpwYXNz"))))
        .expectError(BearerCredentials.UnsupportedSchemeException.class)
        .verify();
    for (String value : new String[] {"Bearer ' OR '1'='1", "Bearer  two  spaces", "Bearer a,Bearer b", "Bearer "}) {
      StepVerifier.create(credentials.convert(exchange(MockServerHttpRequest.get("/v1/x")
              .header(HttpHeaders.AUTHORIZATION, value))))
          .expectError(InvalidBearerTokenException.class)
          .verify();
    }
  }

  private static MockServerWebExchange exchange(MockServerHttpRequest.BaseBuilder<?> request) {
    return MockServerWebExchange.from(request.build());
  }
}
