package ai.gateway.worker.config;

import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
class WorkerConfiguration {

  @Bean
  WorkerIdentity workerIdentity(WorkerProperties worker) {
    return WorkerIdentity.from(worker.id());
  }

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }
}
