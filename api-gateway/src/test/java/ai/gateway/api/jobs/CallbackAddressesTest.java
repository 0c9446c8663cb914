package ai.gateway.api.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CallbackAddressesTest {

  @ParameterizedTest
  @ValueSource(strings = {"0.0.0.0", "0.1.2.3", "127.0.0.1", "127.255.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255",
      "192.168.1.1", "169.254.169.254", "169.254.0.1", "100.64.0.1", "100.100.100.200", "100.127.255.255",
      "192.0.0.8", "198.18.0.1", "224.0.0.1", "239.255.255.250", "240.0.0.1", "255.255.255.255",
      "::", "::1", "::ffff:127.0.0.1", "::ffff:7f00:1", "::ffff:169.254.169.254", "::ffff:10.0.0.1", "::127.0.0.1",
      "64:ff9b::a9fe:a9fe", "64:ff9b::7f00:1", "64:ff9b:1::1", "2002:7f00:1::", "2002:a9fe:a9fe::1", "2002:c0a8:101::",
      "2001:0:4136:e378:8000:63bf:3fff:fdd2", "fc00::1", "fd00:ec2::254", "fe80::1", "febf::1", "fec0::1", "ff02::1",
      "2001:db8::1", "100::1"})
  void shouldBlockInternalAndEmbeddedAddresses(String address) throws Exception {
    assertThat(CallbackAddresses.blocked(InetAddress.getByName(address))).as(address).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"93.184.215.14", "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.1", "172.15.255.255",
      "172.32.0.1", "192.167.1.1", "169.253.1.1", "2606:4700::1111", "2a00:1450:4001:80b::200e", "::ffff:8.8.8.8",
      "64:ff9b::808:808", "2002:808:808::1"})
  void shouldAllowPublicAddresses(String address) throws Exception {
    assertThat(CallbackAddresses.blocked(InetAddress.getByName(address))).as(address).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1", "localhost", "LOCALHOST.", "[::1]", "0.0.0.0", "[::]", "127.0.0.1.nip.io",
      "app.127-0-0-1.sslip.io", "169.254.169.254", "[fd00:ec2::254]", "metadata.google.internal", "100.100.100.200",
      "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "017700000001", "[::ffff:127.0.0.1]",
      "[::ffff:7f00:1]", "[64:ff9b::a9fe:a9fe]", "[2002:7f00:1::]", "intranet", "db.svc", "printer.local",
      "[fe80::1%25eth0]", "8.8.8.8.8"})
  void shouldRefuseInternalHostsWithoutDns(String host) {
    assertThat(CallbackAddresses.hostProblem(host)).as(host).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"hooks.example.com", "8.8.8.8", "[2606:4700::1111]", "api.1password.com", "1-2-3.example.org"})
  void shouldPassPublicHosts(String host) {
    assertThat(CallbackAddresses.hostProblem(host)).as(host).isNull();
  }
}
