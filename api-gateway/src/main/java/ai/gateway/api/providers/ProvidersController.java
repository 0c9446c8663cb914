package ai.gateway.api.providers;

import java.time.Clock;
import java.util.List;

import ai.gateway.api.providers.ProviderDirectory.ProviderView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/providers}: the spec's {@code isAIConfigured} and {@code getAvailableProviders}, answered
 * from what live workers publish. With no live worker the answer is {@code {"configured": false,
 * "providers": []}}: nothing could serve a request at this moment.
 */
@RestController
@Tag(name = "providers", description = "Which providers the workers can serve")
final class ProvidersController {

  private final ProviderDirectory directory;
  private final Clock clock;

  ProvidersController(ProviderDirectory directory, Clock clock) {
    this.directory = directory;
    this.clock = clock;
  }

  @GetMapping(path = "/v1/providers", produces = MediaType.APPLICATION_JSON_VALUE)
  @Operation(summary = "Providers the live workers can serve, in fallback order")
  Mono<ProvidersResponse> providers() {
    List<ProviderView> available = directory.available(clock.instant());
    return Mono.just(new ProvidersResponse(!available.isEmpty(), available));
  }

  record ProvidersResponse(boolean configured, List<ProviderView> providers) {
  }
}
