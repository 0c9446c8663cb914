package ai.gateway.worker.provider;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.json.JsonMapper;

/**
 * One file of the shared provider fixtures (../shared/fixtures/providers, format in its INDEX.md): the
 * header comment with the expectations, the status line, the headers, and the exact body bytes.
 */
public record ProviderFixture(String name, Map<String, String> header, int status, Map<String, String> headers,
    byte[] body) {

  private static final Pattern KEY = Pattern.compile("^([a-z][a-z0-9._-]*):\\s?(.*)$");
  private static final Pattern ERROR = Pattern.compile("code=([A-Z_]+)\\s+retryable=(true|false)(?:\\s+retry_after_ms=(\\d+))?");
  private static final Pattern INPUT = Pattern.compile("\\binput=(\\d+)");
  private static final Pattern OUTPUT = Pattern.compile("\\boutput=(\\d+)");
  private static final Pattern THOUGHTS = Pattern.compile("\\bthoughts=(\\d+)");
  private static final Pattern TOTAL = Pattern.compile("\\btotal=(\\d+)");
  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** The directory the build passes in; absent when the shared folder is not next to the repository. */
  public static Optional<Path> directory() {
    String configured = System.getProperty("provider.fixtures.dir");
    Path directory = configured == null ? Path.of("../../shared/fixtures/providers") : Path.of(configured);
    return Files.isDirectory(directory) ? Optional.of(directory.normalize()) : Optional.empty();
  }

  /** Every fixture file. */
  public static List<ProviderFixture> all() {
    return all("");
  }

  public static List<ProviderFixture> all(String prefix) {
    Optional<Path> directory = directory();
    if (directory.isEmpty()) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(directory.get())) {
      return files.filter(file -> file.getFileName().toString().startsWith(prefix))
          .filter(file -> file.getFileName().toString().matches(".*\\.(sse|json)"))
          .sorted()
          .map(ProviderFixture::read)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static ProviderFixture read(Path file) {
    try {
      return parse(file.getFileName().toString(), Files.readAllBytes(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ProviderFixture parse(String name, byte[] bytes) {
    int position = 0;
    Map<String, String> header = new LinkedHashMap<>();
    String lastKey = null;
    while (true) {
      int end = indexOf(bytes, (byte) '\n', position);
      String line = new String(bytes, position, end - position, StandardCharsets.UTF_8);
      position = end + 1;
      if (line.equals("# ---")) {
        break;
      }
      String content = line.startsWith("# ") ? line.substring(2) : line.substring(1);
      Matcher key = KEY.matcher(content);
      if (key.matches()) {
        lastKey = key.group(1);
        header.put(lastKey, key.group(2).strip());
      } else if (lastKey != null) {
        header.merge(lastKey, " " + content.strip(), String::concat);
      }
    }
    int statusEnd = indexOf(bytes, (byte) '\n', position);
    String statusLine = new String(bytes, position, statusEnd - position, StandardCharsets.UTF_8);
    int status = Integer.parseInt(statusLine.split(" ")[1]);
    position = statusEnd + 1;
    Map<String, String> headers = new LinkedHashMap<>();
    while (true) {
      int end = indexOf(bytes, (byte) '\n', position);
      String line = new String(bytes, position, end - position, StandardCharsets.UTF_8);
      position = end + 1;
      if (line.isEmpty()) {
        break;
      }
      int colon = line.indexOf(':');
      headers.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
    }
    return new ProviderFixture(name, header, status, headers, Arrays.copyOfRange(bytes, position, bytes.length));
  }

  public boolean expectsSuccess() {
    return header.getOrDefault("expect.outcome", "").startsWith("success");
  }

  public @Nullable String expectedText() {
    return jsonString("expect.text");
  }

  public @Nullable String expectedPartialText() {
    return jsonString("expect.partial_text");
  }

  public @Nullable String expectedRefusal() {
    return jsonString("expect.refusal");
  }

  public @Nullable String expectedFinish() {
    String finish = header.get("expect.finish");
    return finish == null ? null : finish.split("\\s")[0];
  }

  /** The fixture's {@code provider} header: {@code openai}, {@code anthropic}, {@code gemini}. */
  public String provider() {
    return header.getOrDefault("provider", name.substring(0, name.indexOf('-')));
  }

  /**
   * The usage the provider reported; empty when the fixture says it is unavailable. {@code partial}: only the
   * input count is known (a stream cut after Anthropic's {@code message_start}).
   */
  public Optional<ExpectedUsage> expectedUsage() {
    String usage = header.get("expect.usage");
    if (usage == null || usage.startsWith("unavailable") || usage.startsWith("none")) {
      return Optional.empty();
    }
    Long input = find(INPUT, usage);
    if (input == null) {
      return Optional.empty();
    }
    if (usage.startsWith("partial")) {
      return Optional.of(new ExpectedUsage(input, 0, 0, input, true));
    }
    long output = Optional.ofNullable(find(OUTPUT, usage)).orElseThrow();
    long thoughts = Optional.ofNullable(find(THOUGHTS, usage)).orElse(0L);
    long total = Optional.ofNullable(find(TOTAL, usage)).orElse(input + output + thoughts);
    return Optional.of(new ExpectedUsage(input, output, thoughts, total, false));
  }

  private static @Nullable Long find(Pattern pattern, String text) {
    Matcher matcher = pattern.matcher(text);
    return matcher.find() ? Long.parseLong(matcher.group(1)) : null;
  }

  public ExpectedError expectedError() {
    Matcher matcher = ERROR.matcher(header.getOrDefault("expect.error", ""));
    if (!matcher.find()) {
      throw new IllegalStateException(name + " has no readable expect.error");
    }
    return new ExpectedError(matcher.group(1), Boolean.parseBoolean(matcher.group(2)),
        matcher.group(3) == null ? null : Long.parseLong(matcher.group(3)));
  }

  /** The body cut at {@code chunk-split-at}; one piece when the fixture gives none. */
  public List<byte[]> bodyPieces() {
    List<Integer> cuts = splitOffsets();
    List<byte[]> pieces = new ArrayList<>();
    int from = 0;
    for (int cut : cuts) {
      pieces.add(Arrays.copyOfRange(body, from, cut));
      from = cut;
    }
    pieces.add(Arrays.copyOfRange(body, from, body.length));
    return pieces;
  }

  public List<Integer> splitOffsets() {
    String split = header.get("chunk-split-at");
    if (split == null) {
      return List.of();
    }
    return Arrays.stream(split.split("\\s")[0].split(",")).map(String::strip).map(Integer::parseInt).toList();
  }

  @Override
  public String toString() {
    return name;
  }

  private @Nullable String jsonString(String key) {
    String value = header.get(key);
    return value == null ? null : JSON.readValue(value, String.class);
  }

  private static int indexOf(byte[] bytes, byte value, int from) {
    for (int i = from; i < bytes.length; i++) {
      if (bytes[i] == value) {
        return i;
      }
    }
    throw new IllegalArgumentException("fixture truncated");
  }

  /** Thinking tokens are billed as output: the report's completion is {@code output + thoughts}. */
  public record ExpectedUsage(long input, long output, long thoughts, long total, boolean partial) {
  }

  /** {@code code} is the fixture's: a design code, or AUTHENTICATION_FAILED / PROVIDER_OVERLOADED (failure classes). */
  public record ExpectedError(String code, boolean retryable, @Nullable Long retryAfterMs) {
  }
}
