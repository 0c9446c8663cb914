# One image per service, built from the jar that `./mvnw -DskipTests package` leaves in <module>/target:
#   docker build --build-arg MODULE=api-gateway -t ai-gateway/api-gateway .
FROM eclipse-temurin:17-jre
ARG MODULE
RUN useradd --system --uid 10001 app
WORKDIR /app
COPY ${MODULE}/target/${MODULE}-0.1.0-SNAPSHOT.jar /app/app.jar
USER app
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/app.jar"]
