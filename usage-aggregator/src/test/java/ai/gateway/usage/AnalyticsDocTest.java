package ai.gateway.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.junit.jupiter.api.Test;

/**
 * Every Java block of docs/analytics.md appears, line for line, in {@link AnalyticsConsumerIT}, so the code an
 * outside team copies is the code that test runs against the real aggregator.
 */
class AnalyticsDocTest {

  /** Maven runs tests in the module's directory. */
  private static final Path DOC = Path.of("..", "docs", "analytics.md");
  private static final Path TEST = Path.of("src", "test", "java", "ai", "gateway", "usage", "AnalyticsConsumerIT.java");

  @Test
  void shouldShowOnlyCodeThatAnalyticsConsumerITRuns() throws IOException {
    // given
    List<String> test = trimmed(Files.readAllLines(TEST));

    // when
    List<List<String>> blocks = javaBlocks(Files.readAllLines(DOC));

    // then
    assertThat(blocks).hasSizeGreaterThanOrEqualTo(6);
    assertThat(blocks).allSatisfy(block ->
        assertThat(Collections.indexOfSubList(test, block)).as("in AnalyticsConsumerIT:%n%s", String.join("\n", block))
            .isNotNegative());
  }

  private static List<List<String>> javaBlocks(List<String> markdown) {
    List<List<String>> blocks = new ArrayList<>();
    List<String> current = null;
    for (String line : markdown) {
      if (current == null && line.strip().equals("```java")) {
        current = new ArrayList<>();
      } else if (current != null && line.strip().equals("```")) {
        blocks.add(trimmed(current));
        current = null;
      } else if (current != null) {
        current.add(line);
      }
    }
    assertThat(current).as("an unclosed code block").isNull();
    return blocks;
  }

  /** Without indentation and blank lines: the doc's blocks start at column 0, the test's are nested. */
  private static List<String> trimmed(List<String> lines) {
    return lines.stream().map(String::strip).filter(line -> !line.isEmpty()).toList();
  }
}
