package ai.gateway.api.error;

import java.util.stream.Collectors;

import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.http.MediaType;
import org.springframework.web.server.MethodNotAllowedException;
import org.springframework.web.server.NotAcceptableStatusException;
import org.springframework.web.server.PayloadTooLargeException;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.UnsupportedMediaTypeStatusException;

/**
 * Turns whatever reached the exception handler into an {@link ApiError}. The framework's own messages
 * are never passed on: they can quote the caller's input (Jackson's do), so every detail here is fixed
 * text. Anything unrecognised is a bug in the gateway, not the caller's fault: 503 {@code UNAVAILABLE},
 * never a 500.
 */
public final class Problems {

  static final String INTERNAL_DETAIL = "The gateway could not process the request; try again.";

  private Problems() {
  }

  public static ApiError classify(Throwable failure) {
    ApiException api = find(failure, ApiException.class);
    if (api != null) {
      return api.error();
    }
    if (find(failure, DataBufferLimitException.class) != null || failure instanceof PayloadTooLargeException) {
      return ApiError.of(ErrorCode.INVALID_REQUEST, "The request body is too large.").withStatus(413);
    }
    if (failure instanceof UnsupportedMediaTypeStatusException unsupported) {
      return ApiError.of(ErrorCode.INVALID_REQUEST, "Unsupported Content-Type; this endpoint accepts "
          + mediaTypes(unsupported.getSupportedMediaTypes()) + ".").withStatus(415);
    }
    if (failure instanceof NotAcceptableStatusException notAcceptable) {
      return ApiError.of(ErrorCode.INVALID_REQUEST, "The Accept header excludes what this endpoint produces: "
          + mediaTypes(notAcceptable.getSupportedMediaTypes()) + ".").withStatus(406);
    }
    if (failure instanceof MethodNotAllowedException) {
      return ApiError.of(ErrorCode.INVALID_REQUEST, "Method not allowed.").withStatus(405);
    }
    if (failure instanceof ServerWebInputException) {
      return ApiError.of(ErrorCode.INVALID_REQUEST, "The request could not be read.");
    }
    if (failure instanceof ResponseStatusException status) {
      int code = status.getStatusCode().value();
      if (code == 404) {
        return ApiError.of(ErrorCode.NOT_FOUND, "No such resource.");
      }
      if (code >= 400 && code < 500) {
        return ApiError.of(ErrorCode.INVALID_REQUEST, "The request was rejected.").withStatus(code);
      }
    }
    return ApiError.of(ErrorCode.UNAVAILABLE, INTERNAL_DETAIL);
  }

  private static String mediaTypes(java.util.List<MediaType> types) {
    return types.isEmpty() ? "no other media type"
        : types.stream().map(MediaType::toString).collect(Collectors.joining(", "));
  }

  private static <T extends Throwable> @org.jspecify.annotations.Nullable T find(Throwable failure, Class<T> type) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }
}
