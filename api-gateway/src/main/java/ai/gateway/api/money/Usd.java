package ai.gateway.api.money;

import java.math.BigDecimal;

/** Costs are integer micro-USD on Kafka and in PostgreSQL; the API shows exact decimal dollars. */
public final class Usd {

  private Usd() {
  }

  /**
   * Exact dollars without trailing zeros ({@code 25} micro-USD is {@code 0.000025}, 10 USD is {@code 10}):
   * no binary-float noise such as {@code 1.0000000000000002E-4}, and a scale that is never negative, so
   * JSON never gets {@code 1E+1}.
   */
  public static BigDecimal fromMicros(long micros) {
    BigDecimal usd = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
    return usd.scale() < 0 ? usd.setScale(0) : usd;
  }
}
