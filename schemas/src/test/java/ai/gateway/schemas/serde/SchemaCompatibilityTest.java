package ai.gateway.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.stream.Stream;

import ai.gateway.schemas.Topics;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every topic's current schema against the frozen copy of every released version, both ways: a new reader
 * must read old records (backward) and an old reader must read new records (forward), so producers and
 * consumers can be upgraded in any order.
 */
class SchemaCompatibilityTest {

  static Stream<Class<?>> topicValueAndKeyTypes() {
    return Topics.ALL.stream()
        .flatMap(spec -> Stream.of(spec.keySerde(), spec.valueSerde()))
        .filter(AvroSerde.class::isInstance)
        .<Class<?>>map(serde -> ((AvroSerde<?>) serde).type())
        .distinct();
  }

  @ParameterizedTest
  @MethodSource("topicValueAndKeyTypes")
  void shouldStayFullyCompatibleWithEveryReleasedVersion(Class<?> type) {
    Schema current = SpecificData.get().getSchema(type);
    List<Schema> released = ReleasedSchemas.forType(type);

    assertThat(released).as("a frozen released copy of %s", type.getSimpleName()).isNotEmpty();
    for (Schema old : released) {
      assertThat(compatibility(current, old)).as("new reader, old writer of %s", type.getSimpleName())
          .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
      assertThat(compatibility(old, current)).as("old reader, new writer of %s", type.getSimpleName())
          .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }
  }

  @Test
  void shouldRejectANewRequiredFieldBecauseANewReaderCannotReadOldRecords() {
    Schema old = ReleasedSchemas.forName("JobControl").get(0);
    Schema withRequiredField = withExtraField(old, "{\"name\":\"priority\",\"type\":\"int\"}");

    assertThat(compatibility(withRequiredField, old)).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
  }

  @Test
  void shouldRejectRemovingARequiredFieldBecauseAnOldReaderCannotReadNewRecords() {
    Schema old = ReleasedSchemas.forName("JobControl").get(0);
    Schema withoutJobId = new Schema.Parser().parse(old.toString().replace(
        "{\"name\":\"jobId\",\"type\":{\"type\":\"string\",\"avro.java.string\":\"String\"}},", ""));

    assertThat(withoutJobId.getField("jobId")).isNull();
    assertThat(compatibility(old, withoutJobId)).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
  }

  @Test
  void shouldAcceptAnOptionalFieldWithADefaultInBothDirections() {
    Schema old = ReleasedSchemas.forName("JobControl").get(0);
    Schema withOptional = withExtraField(old, "{\"name\":\"note\",\"type\":[\"null\",\"string\"],\"default\":null}");

    assertThat(compatibility(withOptional, old)).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    assertThat(compatibility(old, withOptional)).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }

  private static SchemaCompatibilityType compatibility(Schema reader, Schema writer) {
    return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer).getType();
  }

  private static Schema withExtraField(Schema schema, String fieldJson) {
    String json = schema.toString();
    int end = json.lastIndexOf(']');
    return new Schema.Parser().parse(json.substring(0, end) + "," + fieldJson + json.substring(end));
  }
}
