package ai.gateway.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;

import ai.gateway.schemas.v1.ErrorCode;
import ai.gateway.schemas.v1.ErrorInfo;
import ai.gateway.schemas.v1.GenerationEvent;
import ai.gateway.schemas.v1.GenerationEventType;
import ai.gateway.schemas.v1.JobControl;
import ai.gateway.schemas.v1.JobControlAction;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

  private final AvroSerde<GenerationEvent> events = new AvroSerde<>(GenerationEvent.class);

  @Test
  void shouldRoundTripAnEventThroughSingleObjectEncoding() {
    GenerationEvent event = GenerationEvent.newBuilder()
        .setJobId("job-1").setAttempt(2).setSeq(7).setType(GenerationEventType.ERROR)
        .setError(ErrorInfo.newBuilder().setCode(ErrorCode.RATE_LIMITED).setMessage("slow down")
            .setRetryable(true).setProvider("openai").setRetryAfterMs(17_000L).build())
        .setTimestamp(Instant.ofEpochMilli(1_764_000_000_000L))
        .build();

    byte[] bytes = events.serialize("ai.replies", event);

    assertThat(bytes).startsWith((byte) 0xC3, (byte) 0x01);
    assertThat(events.deserialize("ai.replies", bytes)).isEqualTo(event);
  }

  @Test
  void shouldTreatNullAsATombstone() {
    assertThat(events.serialize("ai.replies", null)).isNull();
    assertThat(events.deserialize("ai.replies", null)).isNull();
  }

  @Test
  void shouldSurfaceGarbageAsKafkaSerializationException() {
    assertThatThrownBy(() -> events.deserialize("ai.replies", new byte[] {1, 2, 3}))
        .isInstanceOf(SerializationException.class)
        .hasMessageContaining("GenerationEvent");
  }

  @Test
  void shouldSurfaceAnUnknownWriterSchemaAsKafkaSerializationException() {
    byte[] controlBytes = new AvroSerde<>(JobControl.class).serialize("ai.job-control", control());

    assertThatThrownBy(() -> events.deserialize("ai.replies", controlBytes))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void shouldSurfaceATruncatedBodyAsKafkaSerializationException() {
    byte[] bytes = events.serialize("ai.replies", GenerationEvent.newBuilder()
        .setJobId("job-1").setAttempt(1).setSeq(1).setType(GenerationEventType.CHUNK).setContent("hello world")
        .setTimestamp(Instant.now()).build());
    byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 8);

    assertThatThrownBy(() -> events.deserialize("ai.replies", truncated))
        .isInstanceOf(SerializationException.class);
  }

  @Test
  void shouldDecodeBytesWrittenWithTheReleasedSchema() throws IOException {
    Schema released = ReleasedSchemas.forName("JobControl").get(0);
    GenericRecord old = new GenericData.Record(released);
    old.put("jobId", "job-9");
    old.put("action", new GenericData.EnumSymbol(released.getField("action").schema(), "CANCEL"));
    old.put("userId", "user-1");
    old.put("reason", "client-disconnected");
    old.put("requestedAt", 1_764_000_000_000L);
    ByteBuffer written = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), released).encode(old);

    JobControl decoded = new AvroSerde<>(JobControl.class).deserialize("ai.job-control", toArray(written));

    assertThat(decoded.getJobId()).isEqualTo("job-9");
    assertThat(decoded.getAction()).isEqualTo(JobControlAction.CANCEL);
    assertThat(decoded.getRequestedAt()).isEqualTo(Instant.ofEpochMilli(1_764_000_000_000L));
  }

  @Test
  void shouldDecodeAnOlderWriterWhoseSchemaLacksANewFieldUsingTheDefault() throws IOException {
    // An older release without the optional "reason" field: the current reader fills in the default.
    Schema current = JobControl.getClassSchema();
    Schema older = new Schema.Parser().parse(current.toString()
        .replace("{\"name\":\"reason\",\"type\":[\"null\",{\"type\":\"string\",\"avro.java.string\":\"String\"}],"
            + "\"doc\":\"e.g. client-disconnected, user-request\",\"default\":null},", ""));
    assertThat(older.getField("reason")).isNull();
    GenericRecord old = new GenericData.Record(older);
    old.put("jobId", "job-10");
    old.put("action", new GenericData.EnumSymbol(older.getField("action").schema(), "CANCEL"));
    old.put("userId", null);
    old.put("requestedAt", 1L);
    byte[] bytes = toArray(new BinaryMessageEncoder<GenericRecord>(GenericData.get(), older).encode(old));

    JobControl decoded = new AvroSerde<>(JobControl.class, List.of(older)).deserialize("t", bytes);

    assertThat(decoded.getJobId()).isEqualTo("job-10");
    assertThat(decoded.getReason()).isNull();
  }

  private static JobControl control() {
    return JobControl.newBuilder().setJobId("j").setAction(JobControlAction.CANCEL)
        .setRequestedAt(Instant.ofEpochMilli(1)).build();
  }

  private static byte[] toArray(ByteBuffer buffer) {
    byte[] bytes = new byte[buffer.remaining()];
    buffer.get(bytes);
    return bytes;
  }
}
