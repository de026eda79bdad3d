package io.latentwatch.cli;

import io.latentwatch.pipeline.kafka.KafkaClientConfig;
import java.io.IOException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Kafka connection options, named as Kafka's own tools name them. */
final class KafkaOptions {

    @Option(
            names = {"--bootstrap-servers", "--bootstrap-server"},
            paramLabel = "HOST:PORT[,...]",
            description = "Kafka bootstrap servers (default: bootstrap.servers of --command-config, else localhost:9092)")
    String bootstrapServers;

    @Option(
            names = {"--command-config", "--client.config"},
            paramLabel = "FILE",
            description = "Kafka client properties (security.protocol, sasl.*, ssl.*, ...) for every consumer, producer and admin"
                    + " client; secrets in it are never printed")
    Path commandConfig;

    /** The client settings: the flag, else the file's bootstrap.servers, else localhost:9092. */
    KafkaClientConfig clientConfig() throws IOException {
        try {
            return KafkaClientConfig.of(bootstrapServers, commandConfig);
        } catch (IllegalArgumentException e) {
            if (bootstrapServers == null && e.getMessage().startsWith("no Kafka bootstrap servers")) {
                return KafkaClientConfig.of("localhost:9092", commandConfig);
            }
            throw e;
        }
    }
}
