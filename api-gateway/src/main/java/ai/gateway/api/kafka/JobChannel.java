package ai.gateway.api.kafka;

import java.util.AbstractQueue;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import ai.gateway.api.error.ApiException;
import ai.gateway.schemas.v1.GenerationEvent;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.util.concurrent.Queues;

/**
 * One job's live events on this instance while someone subscribes to them: the events seen so far (from one
 * catch-up read of the topic, then the live records the tail hands over), and the subscribers attached.
 *
 * <p>Made and registered for the tail's records before its catch-up read measures the partition's end offset,
 * so the catch-up (everything below that offset) and the live records it buffered meanwhile (those at or above
 * it are kept, the rest are the catch-up's own) cover every record once; {@link KafkaReplay.Replayed} then
 * orders them as the live stream relays them. Subscribers arriving later get the history from memory.
 *
 * <p>Bounded: it lives while it has holders (dropped with the last), each attached subscriber buffers at most
 * {@code bufferSize} live events it has not read (then it ends with {@code UNAVAILABLE}), and the history is
 * the job's own events, which its token limit bounds.
 */
final class JobChannel {

  private final String jobId;
  private final int bufferSize;
  private final Supplier<ApiException> overflow;
  private final KafkaReplay.Replayed order = new KafkaReplay.Replayed(null);
  private final List<GenerationEvent> history = new ArrayList<>();
  private final List<Sinks.Many<GenerationEvent>> attached = new ArrayList<>();
  private final Sinks.Empty<Void> caughtUpSignal = Sinks.empty();
  private @Nullable List<Live> pending = new ArrayList<>();
  private @Nullable Throwable failure;
  private @Nullable Disposable catchUp;
  private int holders;
  private boolean closed;

  /** A live record that arrived while the catch-up read ran. */
  private record Live(GenerationEvent event, long offset) {
  }

  JobChannel(String jobId, int bufferSize, Supplier<ApiException> overflow) {
    this.jobId = jobId;
    this.bufferSize = bufferSize;
    this.overflow = overflow;
  }

  String jobId() {
    return jobId;
  }

  /** Takes a hold on the channel; false once it is closed (last holder gone, or failed): make a new one. */
  synchronized boolean hold() {
    if (closed) {
      return false;
    }
    holders++;
    return true;
  }

  /** Gives a hold back; true when it was the last, and the channel is closed (take it out of the map). */
  boolean release() {
    Disposable reading;
    synchronized (this) {
      holders--;
      if (holders > 0 || closed) {
        return holders <= 0;
      }
      closed = true;
      reading = catchUp;
      attached.clear();
      history.clear();
      pending = null;
    }
    if (reading != null) {
      reading.dispose();
    }
    return true;
  }

  synchronized void catchingUp(Disposable reading) {
    if (closed) {
      reading.dispose();
    } else {
      catchUp = reading;
    }
  }

  synchronized boolean closed() {
    return closed;
  }

  /** A live record of the job from the tail. */
  void live(GenerationEvent event, long offset) {
    synchronized (this) {
      if (closed || order.finished) {
        return;
      }
      List<Live> buffered = pending;
      if (buffered != null) {
        buffered.add(new Live(event, offset));
        return;
      }
      deliver(event);
    }
  }

  /** The catch-up read is done: its events, then the live ones at or above its end offset, become the history. */
  void caughtUp(KafkaReplay.CatchUp read) {
    synchronized (this) {
      List<Live> buffered = pending;
      if (closed || buffered == null) {
        return;
      }
      pending = null;
      for (GenerationEvent event : read.events()) {
        if (order.admit(event)) {
          history.add(event);
        }
      }
      for (Live live : buffered) {
        if (live.offset() >= read.end() && !order.finished && order.admit(live.event())) {
          history.add(live.event());
        }
      }
    }
    caughtUpSignal.tryEmitEmpty();
  }

  /** Ends every subscriber with {@code error}; the channel takes no more holders. */
  void fail(Throwable error) {
    List<Sinks.Many<GenerationEvent>> subscribers;
    synchronized (this) {
      if (failure != null) {
        return;
      }
      failure = error;
      closed = true;
      subscribers = List.copyOf(attached);
      attached.clear();
    }
    subscribers.forEach(sink -> sink.tryEmitError(error));
    caughtUpSignal.tryEmitError(error);
  }

  /**
   * The job's events for one holder: once caught up, the history so far from memory, then live events as they
   * come, completing after the terminal event. Every subscriber sees the same sequence.
   */
  Flux<GenerationEvent> events() {
    return caughtUpSignal.asMono().thenMany(Flux.defer(this::attach));
  }

  private Flux<GenerationEvent> attach() {
    List<GenerationEvent> snapshot;
    Sinks.Many<GenerationEvent> sink;
    synchronized (this) {
      if (failure != null) {
        return Flux.error(failure);
      }
      snapshot = List.copyOf(history);
      if (order.finished || closed) {
        return Flux.fromIterable(snapshot);
      }
      sink = Sinks.many().unicast().onBackpressureBuffer(new BoundedQueue<>(bufferSize));
      attached.add(sink);
    }
    return Flux.fromIterable(snapshot).concatWith(sink.asFlux().doFinally(signal -> detach(sink)));
  }

  private synchronized void detach(Sinks.Many<GenerationEvent> sink) {
    attached.remove(sink);
  }

  /** Under the lock: one admitted event to the history and every attached subscriber. */
  private void deliver(GenerationEvent event) {
    if (!order.admit(event)) {
      return;
    }
    history.add(event);
    // a copy: an emission may end its subscriber on this thread, which detaches it from the list
    for (Sinks.Many<GenerationEvent> sink : List.copyOf(attached)) {
      Sinks.EmitResult result = sink.tryEmitNext(event);
      if (result == Sinks.EmitResult.FAIL_OVERFLOW) {
        attached.remove(sink);
        sink.tryEmitError(overflow.get());
      } else if (result.isFailure()) {
        attached.remove(sink); // its subscriber is gone
      } else if (order.finished) {
        sink.tryEmitComplete();
      }
    }
    if (order.finished) {
      attached.clear();
    }
  }

  /**
   * A queue that refuses an element beyond {@code max} (the sink then reports an overflow), growing in small
   * chunks rather than allocating {@code max} slots for each of thousands of subscribers.
   */
  static final class BoundedQueue<T> extends AbstractQueue<T> {

    private final Queue<T> queue = Queues.<T>unbounded(16).get();
    private final AtomicInteger size = new AtomicInteger();
    private final int max;

    BoundedQueue(int max) {
      this.max = max;
    }

    @Override
    public boolean offer(T element) {
      if (size.get() >= max) {
        return false;
      }
      queue.offer(element);
      size.incrementAndGet();
      return true;
    }

    @Override
    public @Nullable T poll() {
      T element = queue.poll();
      if (element != null) {
        size.decrementAndGet();
      }
      return element;
    }

    @Override
    public @Nullable T peek() {
      return queue.peek();
    }

    @Override
    public int size() {
      return size.get();
    }

    @Override
    public Iterator<T> iterator() {
      throw new UnsupportedOperationException();
    }
  }
}
