package io.latentwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.pipeline.kafka.ValueFormat;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

/**
 * ScoringJob.main's arguments (what {@code flink run} passes): the flags of the one table, and option keys, with the
 * rule of {@code latentwatch run}: a key's value survives when its flag is not given, a flag given beats it.
 */
class JobArgumentsTest {

    private static String error(String... args) {
        return assertThrows(IllegalArgumentException.class, () -> JobArguments.parse(args)).getMessage();
    }

    @Test
    void aKeysValueSurvivesWhenItsFlagIsNotGiven() {
        // before: the flags' defaults of latentwatch run overwrote these (64 became 32, true became false)
        Configuration c = JobArguments.parse("--model", "/m", "--latentwatch.scoring.max-batch-size", "64",
                "--latentwatch.threshold.adaptive", "true", "--latentwatch.scoring.max-batch-delay=5ms");
        assertEquals(64, c.get(ScoringJobOptions.MAX_BATCH_SIZE));
        assertEquals(true, c.get(ScoringJobOptions.ADAPTIVE_THRESHOLD));
        assertEquals(Duration.ofMillis(5), c.get(ScoringJobOptions.MAX_BATCH_DELAY));
        assertFalse(c.contains(ScoringJobOptions.GROUP_ID), "a flag not given sets nothing: the option's default applies");
        assertEquals("latentwatch", c.get(ScoringJobOptions.GROUP_ID));
    }

    @Test
    void aFlagGivenBeatsItsKeyWhereverEachStands() {
        assertEquals(8, JobArguments.parse("--latentwatch.scoring.max-batch-size", "64", "--max-batch-size", "8")
                .get(ScoringJobOptions.MAX_BATCH_SIZE));
        assertEquals(8, JobArguments.parse("--max-batch-size", "8", "--latentwatch.scoring.max-batch-size", "64")
                .get(ScoringJobOptions.MAX_BATCH_SIZE));
        assertEquals(true, JobArguments.parse("--adaptive-threshold", "--latentwatch.threshold.adaptive=false")
                .get(ScoringJobOptions.ADAPTIVE_THRESHOLD));
        assertEquals(ScoringJobOptions.Delivery.AT_LEAST_ONCE, JobArguments.parse("--delivery-guarantee", "at-least-once",
                "--latentwatch.sink.delivery-guarantee", "exactly_once").get(ScoringJobOptions.DELIVERY_GUARANTEE));
        assertEquals(4, JobArguments.parse("--parallelism", "2", "--parallelism=4").get(ScoringJobOptions.SCORING_PARALLELISM),
                "of two values for one flag the last counts");
        assertEquals("k:9092", JobArguments.parse("--bootstrap-server", "k:9092").get(ScoringJobOptions.BOOTSTRAP_SERVERS), "an alias");
        assertEquals(ValueFormat.AVRO, JobArguments.parse("--latentwatch.topics.value-format", "json", "--value-format", "avro")
                .get(ScoringJobOptions.VALUE_FORMAT));
    }

    @Test
    void theAlertPictureFlagsTakeABooleanAndASize() {
        Configuration c = JobArguments.parse("--alert-map-png", "false", "--alert-map-png-max-bytes", "4kb");
        assertEquals(false, c.get(ScoringJobOptions.ALERT_MAP_PNG));
        assertEquals(4096, c.get(ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES).getBytes());
        assertEquals(8192, JobArguments.parse("--alert-map-png-max-bytes=8192").get(ScoringJobOptions.ALERT_MAP_PNG_MAX_BYTES).getBytes());
        assertEquals("--alert-map-png takes true or false, got 'maybe'", error("--alert-map-png", "maybe"));
        assertTrue(JobFlags.ALERT_MAP_PNG.help().endsWith("(default: true)"), JobFlags.ALERT_MAP_PNG.help());
        assertTrue(JobFlags.ALERT_MAP_PNG_MAX_BYTES.help().endsWith("(default: 16kb)"), JobFlags.ALERT_MAP_PNG_MAX_BYTES.help());
    }

    @Test
    void aBadArgumentIsNamed() {
        assertEquals("--max-batch-size takes a whole number, got 'many'", error("--max-batch-size", "many"));
        assertEquals("--delivery-guarantee takes exactly-once or at-least-once, got 'twice'", error("--delivery-guarantee", "twice"));
        assertEquals("--alerts-delivery-guarantee takes exactly-once or at-least-once, got 'twice'", error("--alerts-delivery-guarantee", "twice"));
        assertEquals("--value-format takes json or avro, got 'protobuf'", error("--value-format", "protobuf"));
        assertEquals("--checkpoint-interval takes a duration (e.g. 20ms, 2s, 1min), got 'soon'", error("--checkpoint-interval=soon"));
        assertEquals("--model needs a value (DIR)", error("--model", "--fine-tune"));
        assertEquals("--fine-tune takes no value, got 'false'", error("--fine-tune=false"));
        assertEquals("expected --flag [value], got 'models'", error("--fine-tune", "models"));
        assertTrue(error("--modle", "/m").startsWith("unknown flag --modle (known: [adaptive-threshold, alert-map-png, alert-map-png-max-bytes, alerts-delivery-guarantee, alerts-topic, "), error("--modle"));
    }

    @Test
    void everyFlagSetsAnOptionOfTheJobAndNoNameIsTwice() {
        Set<String> names = new HashSet<>();
        for (JobFlag<?> flag : JobFlags.all()) {
            assertTrue(ScoringJobOptions.all().contains(flag.option()), flag + " sets an option that ScoringJobOptions does not list");
            for (String name : flag.names()) {
                assertTrue(name.startsWith("--") && names.add(name), name + " twice or without its dashes");
            }
            assertFalse(flag.help().contains(JobFlag.DEFAULT), flag.help());
        }
        assertEquals("frames per micro-batch at most (default: 32)", JobFlags.MAX_BATCH_SIZE.help());
        assertEquals("how long a batch's first frame waits for more (default: 20ms)", JobFlags.MAX_BATCH_DELAY.help());
        assertTrue(JobFlags.DELIVERY_GUARANTEE.help().endsWith("(default: exactly-once)"), JobFlags.DELIVERY_GUARANTEE.help());
        assertEquals("default: frames-dlq", JobFlags.DLQ_TOPIC.help());
    }
}
