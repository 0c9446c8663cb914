package ai.gateway.simulator;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.NettyOutbound;

/**
 * Token timers on the event loop of the connection they write to. A timer on Reactor's parallel threads
 * would hand every frame over to the event loop and wake it up; on the loop itself a frame is written
 * where it is produced. One scheduler per loop, never disposed here: the loops belong to the server.
 */
final class EventLoopTimers {

  private final ConcurrentHashMap<EventExecutor, Scheduler> schedulers = new ConcurrentHashMap<>();

  Scheduler of(NettyOutbound response) {
    AtomicReference<EventExecutor> loop = new AtomicReference<>();
    response.withConnection(connection -> loop.set(connection.channel().eventLoop()));
    return schedulers.computeIfAbsent(loop.get(), executor -> Schedulers.fromExecutorService(executor,
        "provider-simulator-timer"));
  }
}
