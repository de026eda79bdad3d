package io.latentwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.pipeline.JobFlag;
import io.latentwatch.pipeline.JobFlags;
import io.latentwatch.pipeline.ScoringJobOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestOptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * latentwatch run's flags and -D, parsed without a broker or a job: a -D value survives when its flag is not given,
 * a flag given beats -D, and with neither the option's own default applies.
 */
class RunFlagsTest {

    /** The job's configuration of {@code latentwatch run ARGS}, as the command would run it. */
    private static Configuration configuration(String... args) {
        List<String> line = new ArrayList<>(List.of("run"));
        line.addAll(List.of(args));
        CommandLine.ParseResult parsed = LatentwatchCommand.commandLine().parseArgs(line.toArray(String[]::new));
        RunCommand run = parsed.subcommand().commandSpec().commandLine().getCommand();
        return run.configuration();
    }

    @Test
    void aDashDValueSurvivesWhenItsFlagIsNotGiven() {
        // before: 64 became 32 and true became false, the flags' defaults set over -D
        Configuration c = configuration("--model", "m", "-Dlatentwatch.scoring.max-batch-size=64", "-Dlatentwatch.threshold.adaptive=true",
                "-Dlatentwatch.scoring.max-batch-delay=5ms", "-Dlatentwatch.kafka.group-id=line-7", "-Dlatentwatch.topics.frames=cam-frames",
                "-Dlatentwatch.sink.delivery-guarantee=at_least_once", "-Dlatentwatch.checkpointing.interval=7s",
                "-Dlatentwatch.scoring.device=cpu", "-Dlatentwatch.scoring.parallelism=3", "-Dlatentwatch.kafka.bootstrap-servers=k:9092",
                "-Drest.port=9000");
        assertEquals(64, c.get(ScoringJobOptions.MAX_BATCH_SIZE));
        assertEquals(true, c.get(ScoringJobOptions.ADAPTIVE_THRESHOLD));
        assertEquals(Duration.ofMillis(5), c.get(ScoringJobOptions.MAX_BATCH_DELAY));
        assertEquals("line-7", c.get(ScoringJobOptions.GROUP_ID));
        assertEquals("cam-frames", c.get(ScoringJobOptions.FRAMES_TOPIC));
        assertEquals(ScoringJobOptions.Delivery.AT_LEAST_ONCE, c.get(ScoringJobOptions.DELIVERY_GUARANTEE));
        assertEquals(Duration.ofSeconds(7), c.get(ScoringJobOptions.CHECKPOINT_INTERVAL));
        assertEquals("cpu", c.get(ScoringJobOptions.DEVICE));
        assertEquals(3, RunCommand.parallelism(c));
        assertEquals("k:9092", c.get(ScoringJobOptions.BOOTSTRAP_SERVERS));
        assertEquals(9000, c.get(RestOptions.PORT));
    }

    @Test
    void aFlagGivenBeatsDashD() {
        assertEquals(8, configuration("--model", "m", "-Dlatentwatch.scoring.max-batch-size=64", "--max-batch-size", "8")
                .get(ScoringJobOptions.MAX_BATCH_SIZE));
        assertEquals(8, configuration("--max-batch-size", "8", "-Dlatentwatch.scoring.max-batch-size=64", "--model", "m")
                .get(ScoringJobOptions.MAX_BATCH_SIZE), "wherever each stands");
        assertEquals(true, configuration("--model", "m", "-Dlatentwatch.threshold.adaptive=false", "--adaptive-threshold")
                .get(ScoringJobOptions.ADAPTIVE_THRESHOLD));
        Configuration c = configuration("-Dlatentwatch.model.path=/d", "--model", "m", "-Dlatentwatch.sink.delivery-guarantee=exactly_once",
                "--delivery-guarantee", "at-least-once", "-Dlatentwatch.kafka.bootstrap-servers=d:1", "--bootstrap-server", "k:9092",
                "-Drest.port=9000", "--web-ui-port", "0", "--from-beginning", "--fine-tune", "--registry", "/r");
        assertEquals("m", c.get(ScoringJobOptions.MODEL_PATH));
        assertEquals(ScoringJobOptions.Delivery.AT_LEAST_ONCE, c.get(ScoringJobOptions.DELIVERY_GUARANTEE));
        assertEquals("k:9092", c.get(ScoringJobOptions.BOOTSTRAP_SERVERS));
        assertEquals(0, c.get(RestOptions.PORT));
        assertEquals(ScoringJobOptions.StartingOffsets.EARLIEST, c.get(ScoringJobOptions.STARTING_OFFSETS));
        assertEquals(true, c.get(ScoringJobOptions.TUNING_ENABLED));
        assertEquals("/r", c.get(ScoringJobOptions.TUNING_REGISTRY));
    }

    @Test
    void withNeitherTheOptionsOwnDefaultsApply() {
        Configuration c = configuration("--model", "m");
        for (JobFlag<?> flag : JobFlags.all()) {
            if (flag != JobFlags.MODEL && flag != JobFlags.BOOTSTRAP_SERVERS) {
                assertFalse(c.contains(flag.option()), flag + " not given, but set");
            }
        }
        assertEquals(32, c.get(ScoringJobOptions.MAX_BATCH_SIZE));
        assertEquals("localhost:9092", c.get(ScoringJobOptions.BOOTSTRAP_SERVERS), "run's own default");
        assertEquals(RunCommand.WEB_UI_PORT, c.get(RestOptions.PORT));
        assertEquals(1, RunCommand.parallelism(c));
        assertEquals(4, RunCommand.parallelism(configuration("--model", "m", "-Dparallelism.default=4")));

        // the properties file names the servers then (or says that none are named)
        Configuration withFile = configuration("--model", "m", "--command-config", "client.properties");
        assertEquals("client.properties", withFile.get(ScoringJobOptions.KAFKA_PROPERTIES_FILE));
        assertFalse(withFile.contains(ScoringJobOptions.BOOTSTRAP_SERVERS));
    }

    @Test
    void aBadValueOrAMissingModelIsOneLineNamingTheFlag() {
        CliTest.Run badNumber = CliTest.run("run", "--model", "m", "--max-batch-size", "many");
        assertEquals(2, badNumber.code);
        assertEquals("latentwatch run: Invalid value for option '--max-batch-size': expected a whole number, got 'many' (see --help)",
                badNumber.err.strip());
        CliTest.Run badDelivery = CliTest.run("run", "--model", "m", "--delivery-guarantee", "twice");
        assertEquals(2, badDelivery.code);
        assertTrue(badDelivery.err.contains("'--delivery-guarantee': expected exactly-once or at-least-once, got 'twice'"), badDelivery.err);
        CliTest.Run noModel = CliTest.run("run", "--bootstrap-servers", "k:9092");
        assertEquals(2, noModel.code);
        assertEquals("latentwatch run: Missing required option: '--model=DIR' (or -D latentwatch.model.path=DIR) (see --help)",
                noModel.err.strip());
        CliTest.Run badPort = CliTest.run("run", "--model", "m", "-Drest.port=70000");
        assertEquals(2, badPort.code);
        assertEquals("latentwatch run: --web-ui-port must be in 0..65535, got 70000 (see --help)", badPort.err.strip());
    }

    @Test
    void helpListsEveryFlagOfTheTableWithTheOptionsDefaults() {
        CliTest.Run help = CliTest.run("run", "--help");
        assertEquals(0, help.code, help.err);
        String text = squeezed(help.out); // picocli wraps lines, also after a dot
        for (JobFlag<?> flag : JobFlags.all()) {
            for (String name : flag.names()) {
                assertTrue(help.out.contains(name), name + " missing:\n" + help.out);
            }
            assertTrue(text.contains(squeezed(flag.help())), flag.help() + " missing:\n" + help.out);
        }
        for (String shown : List.of("frames per micro-batch at most (default: 32)", "how long a batch's first frame waits for more (default: 20ms)",
                "(default: 2s)", "at-least-once (default: exactly-once)", "--web-ui-port=PORT", "-D=KEY=VALUE")) {
            assertTrue(text.contains(squeezed(shown)), shown + " missing:\n" + help.out);
        }
    }

    private static String squeezed(String s) {
        return s.replaceAll("\\s+", "");
    }
}
