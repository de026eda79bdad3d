package io.latentwatch.cli;

import io.latentwatch.dev.EmbeddedKafka;
import java.io.PrintWriter;
import java.net.BindException;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.common.utils.AppInfoParser;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** latentwatch broker [--port 9092] [--partitions N] [--topics a,b,...] */
@Command(
        name = "broker",
        mixinStandardHelpOptions = true,
        description = "Runs a development Kafka broker (KRaft, one node, in this process) on localhost with the job's topics,"
                + " until Ctrl-C. Its data lives in a temporary directory that is removed when it stops.")
final class BrokerCommand implements Callable<Integer> {

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--port", defaultValue = "9092", description = "client port on localhost; 0 takes a free one (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--partitions", defaultValue = "1", description = "partitions per topic (default: ${DEFAULT-VALUE})")
    int partitions;

    @Option(
            names = "--topics",
            split = ",",
            defaultValue = "frames,latents,alerts,frames-dlq,model-updates",
            description = "topics to create (default: ${DEFAULT-VALUE})")
    List<String> topics;

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--port must be in 0..65535 (0 = a free port), got " + port);
        }
        if (partitions < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--partitions must be at least 1, got " + partitions);
        }
        for (String topic : topics) {
            try {
                io.latentwatch.pipeline.kafka.TopicNames.check(topic);
            } catch (IllegalArgumentException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--topics: " + e.getMessage());
            }
        }
        PrintWriter out = LatentwatchCommand.out(spec);
        EmbeddedKafka started;
        try {
            started = EmbeddedKafka.builder().port(port).partitions(partitions).start();
        } catch (BindException e) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(), "--port: " + e.getMessage() + "; choose another port, or 0 for a free one");
        }
        try (EmbeddedKafka kafka = started) {
            Thread hook = new Thread(() -> stop(kafka, out), "latentwatch-broker-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            try {
                kafka.createTopics(topics.toArray(String[]::new));
                out.printf("Kafka %s broker (KRaft, one node) running%n", AppInfoParser.getVersion());
                out.printf("bootstrap.servers=%s%n", kafka.bootstrapServers());
                out.printf("topics: %s (%d partition%s each)%n", String.join(", ", topics), partitions, partitions == 1 ? "" : "s");
                out.println("Ctrl-C stops it.");
                out.flush();
                new CountDownLatch(1).await(); // until Ctrl-C (the hook closes the broker) or an interrupt
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or has run
                }
            }
        }
        out.println("broker stopped");
        out.flush();
        return 0;
    }

    /** On Ctrl-C: the main thread stays parked, so the shutdown hook stops the broker and says so. */
    private static void stop(EmbeddedKafka kafka, PrintWriter out) {
        kafka.close();
        out.println("broker stopped");
        out.flush();
    }
}
