package ai.gateway.api.jobs;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Set;

import io.netty.resolver.AddressResolver;
import io.netty.resolver.AddressResolverGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/**
 * The resolver of the callback HTTP client: every address a host name resolves to, and every literal address,
 * is judged by {@link CallbackAddresses#blocked} before the client connects, so the address connected to is
 * the address checked (DNS rebinding: public at submit, private at delivery, fails here). A name with one
 * refused address among several is refused whole. Hosts of the allowlist are resolved without the check.
 *
 * <p>{@link #isResolved} is always false, so Reactor Netty hands even resolved addresses (IP literals) to
 * {@link AddressResolver#resolve}; nothing reaches a socket without passing here.
 */
final class VettingResolverGroup extends AddressResolverGroup<InetSocketAddress> {

  private final AddressResolverGroup<InetSocketAddress> delegate;
  private final Set<String> allowedHosts;

  VettingResolverGroup(AddressResolverGroup<InetSocketAddress> delegate, Set<String> allowedHosts) {
    this.delegate = delegate;
    this.allowedHosts = Set.copyOf(allowedHosts);
  }

  /** A connection refused because of where it would go; never retried against another address. */
  static final class BlockedAddressException extends java.net.ConnectException {

    BlockedAddressException(String host) {
      super("callback host " + host + " resolves to a refused address");
    }
  }

  @Override
  protected AddressResolver<InetSocketAddress> newResolver(EventExecutor executor) {
    AddressResolver<InetSocketAddress> inner = delegate.getResolver(executor);
    return new AddressResolver<>() {
      @Override
      public boolean isSupported(SocketAddress address) {
        return address instanceof InetSocketAddress;
      }

      @Override
      public boolean isResolved(SocketAddress address) {
        return false;
      }

      @Override
      public Future<InetSocketAddress> resolve(SocketAddress address) {
        return resolve(address, executor.newPromise());
      }

      @Override
      public Future<InetSocketAddress> resolve(SocketAddress address, Promise<InetSocketAddress> promise) {
        Promise<List<InetSocketAddress>> all = executor.newPromise();
        resolveAll(address, all).addListener(done -> {
          if (done.isSuccess()) {
            promise.trySuccess(all.getNow().get(0));
          } else {
            promise.tryFailure(done.cause());
          }
        });
        return promise;
      }

      @Override
      public Future<List<InetSocketAddress>> resolveAll(SocketAddress address) {
        return resolveAll(address, executor.newPromise());
      }

      @Override
      public Future<List<InetSocketAddress>> resolveAll(SocketAddress address, Promise<List<InetSocketAddress>> promise) {
        InetSocketAddress target = (InetSocketAddress) address;
        String host = target.getHostString();
        boolean allowed = CallbackUrls.allowed(host, allowedHosts);
        if (!target.isUnresolved()) {
          return vet(host, List.of(target), allowed, promise);
        }
        inner.resolveAll(target).addListener(done -> {
          if (done.isSuccess()) {
            @SuppressWarnings("unchecked")
            List<InetSocketAddress> resolved = (List<InetSocketAddress>) done.getNow();
            vet(host, resolved, allowed, promise);
          } else {
            promise.tryFailure(done.cause());
          }
        });
        return promise;
      }

      private Future<List<InetSocketAddress>> vet(String host, List<InetSocketAddress> addresses, boolean allowed,
                                                  Promise<List<InetSocketAddress>> promise) {
        boolean refused = addresses.isEmpty() || (!allowed && addresses.stream()
            .map(InetSocketAddress::getAddress).anyMatch(a -> a == null || CallbackAddresses.blocked(a)));
        if (refused) {
          promise.tryFailure(new BlockedAddressException(host));
        } else {
          promise.trySuccess(addresses);
        }
        return promise;
      }

      @Override
      public void close() {
        inner.close();
      }
    };
  }
}
