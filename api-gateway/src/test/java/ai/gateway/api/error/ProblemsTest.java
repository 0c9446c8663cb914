package ai.gateway.api.error;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.springframework.core.codec.DecodingException;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;

class ProblemsTest {

  @Test
  void shouldKeepAnApiExceptionAnywhereInTheChain() {
    ApiError error = ApiError.of(ErrorCode.RATE_LIMITED, "slow down");

    assertThat(Problems.classify(new RuntimeException(error.exception()))).isEqualTo(error);
  }

  @Test
  void shouldMapFrameworkRejectionsToInvalidRequestWithTheirStatus() {
    assertThat(Problems.classify(new UnsupportedMediaTypeStatusException(MediaType.APPLICATION_FORM_URLENCODED,
        List.of(MediaType.APPLICATION_JSON)))).satisfies(e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
          assertThat(e.status()).isEqualTo(415);
          assertThat(e.detail()).contains("application/json").doesNotContain("x-www-form-urlencoded");
        });
    assertThat(Problems.classify(new NotAcceptableStatusException(List.of(MediaType.APPLICATION_JSON))).status()).isEqualTo(406);
    assertThat(Problems.classify(new MethodNotAllowedException(HttpMethod.GET, Set.of(HttpMethod.POST))).status()).isEqualTo(405);
    assertThat(Problems.classify(new DataBufferLimitException("too big")).status()).isEqualTo(413);
    assertThat(Problems.classify(new ServerWebInputException("bad", null, new DecodingException("Unrecognized token 'secret'"))))
        .satisfies(e -> {
          assertThat(e.status()).isEqualTo(400);
          assertThat(e.detail()).doesNotContain("secret");
        });
  }

  @Test
  void shouldMapUnknownRoutesToNotFound() {
    assertThat(Problems.classify(new ResponseStatusException(HttpStatus.NOT_FOUND)).code()).isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void shouldMapBugsToUnavailableNot500() {
    ApiError error = Problems.classify(new NullPointerException("boom at com.example.Secret"));

    assertThat(error.code()).isEqualTo(ErrorCode.UNAVAILABLE);
    assertThat(error.status()).isEqualTo(503);
    assertThat(error.detail()).doesNotContain("boom", "Secret");
  }
}
