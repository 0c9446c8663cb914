/** The public HTTP API of the AI gateway: validates generate requests, publishes jobs on Kafka, answers from the reply topic. */
@NullMarked
package ai.gateway.api;

import org.jspecify.annotations.NullMarked;
