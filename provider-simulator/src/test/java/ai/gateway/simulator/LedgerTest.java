package ai.gateway.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import org.junit.jupiter.api.Test;

class LedgerTest {

  private final Ledger ledger = new Ledger(Clock.systemUTC());

  @Test
  void shouldRecordWhatWasSentUntilTheCallFinishes() {
    Call call = ledger.open(opening("job-1"));
    call.responded(200);
    call.sent(" hello");
    call.sent(" world");
    call.usageSent();

    assertThat(call.finish()).isTrue();
    call.sent(" late");

    LedgerEntry entry = ledger.byClientRequestId("job-1").get(0);
    assertThat(entry.content()).isEqualTo(" hello world");
    assertThat(entry.completionTokens()).isEqualTo(2);
    assertThat(entry.httpStatus()).isEqualTo(200);
    assertThat(entry.usageReported()).isTrue();
    assertThat(entry.finishedAt()).isNotNull();
    assertThat(entry.aborted()).isFalse();
    assertThat(entry.ended()).isTrue();
  }

  @Test
  void shouldMarkAnAbortedCallAndIgnoreWhatComesAfter() {
    Call call = ledger.open(opening("job-2"));
    call.sent(" hello");

    call.abort();
    call.sent(" world");

    assertThat(call.finish()).as("finishing after an abort changes nothing").isFalse();
    LedgerEntry entry = ledger.byClientRequestId("job-2").get(0);
    assertThat(entry.aborted()).isTrue();
    assertThat(entry.abortedAt()).isNotNull();
    assertThat(entry.finishedAt()).isNull();
    assertThat(entry.content()).isEqualTo(" hello");
    assertThat(call.aborted().block()).as("the abort signal has completed").isNull();
  }

  @Test
  void shouldNotMarkAFinishedCallAborted() {
    Call call = ledger.open(opening("job-3"));
    call.finish();

    call.abort(); // the caller closing its keep-alive connection later

    assertThat(ledger.byClientRequestId("job-3").get(0).aborted()).isFalse();
  }

  @Test
  void shouldListCallsOldestFirstAndClear() {
    ledger.open(opening("a"));
    ledger.open(opening("b"));

    assertThat(ledger.entries()).extracting(LedgerEntry::clientRequestId).containsExactly("a", "b");
    assertThat(ledger.entries()).extracting(LedgerEntry::callId).doesNotHaveDuplicates();

    ledger.clear();

    assertThat(ledger.entries()).isEmpty();
  }

  @Test
  void shouldKeepOnlyTheMostRecentCalls() {
    for (int i = 0; i <= Ledger.CAPACITY; i++) {
      ledger.open(opening("job-" + i));
    }

    assertThat(ledger.entries()).hasSize(Ledger.CAPACITY);
    assertThat(ledger.byClientRequestId("job-0")).isEmpty();
    assertThat(ledger.byClientRequestId("job-" + Ledger.CAPACITY)).hasSize(1);
  }

  private static Call.Opening opening(String clientRequestId) {
    return new Call.Opening("openai", "gpt-4o-mini", "normal", true, clientRequestId, true, 3);
  }
}
