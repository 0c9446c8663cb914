package ai.gateway.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a {@code .env} file: {@code KEY=value} lines, {@code #} comments, optional {@code export}
 * prefix, single or double quotes around the value. Variables already in the environment win, as with
 * the usual dotenv loaders.
 */
final class DotEnv {

  private DotEnv() {
  }

  static Map<String, String> load(Path file, Map<String, String> environment) {
    Map<String, String> values = new LinkedHashMap<>();
    if (Files.isRegularFile(file)) {
      try {
        for (String raw : Files.readAllLines(file)) {
          parseLine(raw, values);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + file, e);
      }
    }
    environment.forEach((key, value) -> {
      if (values.containsKey(key)) {
        values.put(key, value);
      }
    });
    return values;
  }

  static void parseLine(String raw, Map<String, String> into) {
    String line = raw.strip();
    if (line.isEmpty() || line.startsWith("#")) {
      return;
    }
    if (line.startsWith("export ")) {
      line = line.substring("export ".length()).strip();
    }
    int eq = line.indexOf('=');
    if (eq <= 0) {
      return;
    }
    String key = line.substring(0, eq).strip();
    String value = line.substring(eq + 1).strip();
    if (value.length() >= 2 && (value.startsWith("\"") && value.endsWith("\"") || value.startsWith("'") && value.endsWith("'"))) {
      value = value.substring(1, value.length() - 1);
    } else {
      int comment = value.indexOf(" #");
      if (comment >= 0) {
        value = value.substring(0, comment).strip();
      }
    }
    into.put(key, value);
  }
}
