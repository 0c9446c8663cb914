package ai.gateway.api.config;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import org.jspecify.annotations.Nullable;

/**
 * Closes a connection whose request head (request line and headers) has not fully arrived within the request
 * timeout, counted from the connection's start or from the end of the previous answer. Reactor Netty's read
 * timeout is reset by every byte and its request timeout starts only once the head is decoded, so a client
 * sending its headers a byte at a time (slowloris) would otherwise hold the connection for as long as it likes.
 * One per connection, after the HTTP codec, so it sees decoded requests and the answers' last parts. Written here
 * because Reactor Netty has no such setting; it is the usual Netty idiom (a scheduled close, cancelled).
 */
final class RequestHeadTimeout extends ChannelDuplexHandler {

  private final long timeoutMillis;
  private @Nullable ScheduledFuture<?> pending;

  RequestHeadTimeout(long timeoutMillis) {
    this.timeoutMillis = timeoutMillis;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    arm(ctx);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    disarm();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    disarm();
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    if (msg instanceof HttpRequest) {
      disarm(); // the head is in; reading the body is the request timeout's business
    }
    super.channelRead(ctx, msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
    boolean last = msg instanceof LastHttpContent;
    super.write(ctx, msg, promise);
    if (last) {
      promise.addListener(written -> arm(ctx)); // keep-alive: the next request's head has the same bound
    }
  }

  private void arm(ChannelHandlerContext ctx) {
    disarm();
    pending = ctx.executor().schedule(() -> {
      if (ctx.channel().isActive()) {
        ctx.close();
      }
    }, timeoutMillis, TimeUnit.MILLISECONDS);
  }

  private void disarm() {
    ScheduledFuture<?> current = pending;
    if (current != null) {
      current.cancel(false);
      pending = null;
    }
  }
}
