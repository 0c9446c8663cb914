package ai.gateway.worker.job;

import static org.assertj.core.api.Assertions.assertThat;

import ai.gateway.schemas.v1.ErrorCode;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ErrorReportingTest {

  @Test
  void shouldReportOnlyTheCodesTheDesignMarksForSentry() {
    Set<ErrorCode> reported = EnumSet.noneOf(ErrorCode.class);
    for (ErrorCode code : ErrorCode.values()) {
      if (ErrorReporting.reportable(code)) {
        reported.add(code);
      }
    }

    assertThat(reported).containsExactlyInAnyOrder(ErrorCode.PROVIDER_NOT_CONFIGURED, ErrorCode.INSUFFICIENT_QUOTA,
        ErrorCode.TIMEOUT, ErrorCode.PROVIDER_ERROR, ErrorCode.UNAVAILABLE, ErrorCode.CONTEXT_LENGTH_EXCEEDED);
  }
}
