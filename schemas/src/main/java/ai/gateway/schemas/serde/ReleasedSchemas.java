package ai.gateway.schemas.serde;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

import org.apache.avro.Schema;

/**
 * The writer schemas of released versions, shipped as resources
 * {@code /avro/released/v<N>/<RecordName>.avsc} (fully resolved, one record per file). Every released
 * version stays here for as long as records written with it may sit on a topic.
 */
public final class ReleasedSchemas {

  /** Released versions, oldest first. Add a version here when a schema change is released. */
  static final List<String> VERSIONS = List.of("v1");

  private ReleasedSchemas() {
  }

  public static List<Schema> forType(Class<?> type) {
    return forName(type.getSimpleName());
  }

  public static List<Schema> forName(String recordName) {
    List<Schema> schemas = new ArrayList<>();
    for (String version : VERSIONS) {
      String resource = "/avro/released/" + version + "/" + recordName + ".avsc";
      try (InputStream in = ReleasedSchemas.class.getResourceAsStream(resource)) {
        if (in != null) {
          schemas.add(new Schema.Parser().parse(in));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + resource, e);
      }
    }
    return schemas;
  }
}
