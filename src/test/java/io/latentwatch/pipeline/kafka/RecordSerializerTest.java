package io.latentwatch.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.flink.util.InstantiationUtil;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** Every sink's serializer travels with the job graph and writes its topic, key, value and headers. */
class RecordSerializerTest {

    /** As the job graph carries it to a sink writer: serialised, then opened. */
    private static <T> RecordSerializer<T> shipped(RecordSerializer<T> serializer) throws Exception {
        RecordSerializer<T> copy = InstantiationUtil.clone(serializer, RecordSerializerTest.class.getClassLoader());
        copy.open(null, null);
        return copy;
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void latentsAndAlertsAreKeyedByTheirSourceWithTheirJson() throws Exception {
        ScoredFrame f = new ScoredFrame();
        f.source = "cam-1";
        f.frameId = "f-1";
        f.mu = new float[] {0.5f};
        f.logVar = new float[] {-1f};
        ProducerRecord<byte[], byte[]> latents = shipped(KafkaRecords.latents("latents")).serialize(f, null, 5L);
        assertEquals("latents", latents.topic());
        assertEquals("cam-1", text(latents.key()));
        assertEquals(JsonRecords.latents(f), text(latents.value()));
        assertFalse(latents.headers().iterator().hasNext(), "no headers");
        assertNull(latents.partition(), "the producer's partitioner decides");
        assertNull(latents.timestamp(), "the producer stamps the record");

        f.score = 3;
        f.threshold = 1;
        Alert a = Alert.of(f, 7);
        ProducerRecord<byte[], byte[]> alert = shipped(KafkaRecords.alerts("alerts")).serialize(a, null, null);
        assertEquals("alerts", alert.topic());
        assertEquals("cam-1", text(alert.key()));
        assertEquals(JsonRecords.alert(a), text(alert.value()));
    }

    @Test
    void modelUpdatesWithoutAKeyFileAreTheJsonUnderOneKey() throws Exception {
        String json = "{\"type\":\"anything\"}";
        ProducerRecord<byte[], byte[]> r = shipped(KafkaRecords.modelUpdates("model-updates", null)).serialize(json, null, null);
        assertEquals("model-updates", r.topic());
        assertEquals(KafkaRecords.MODEL_UPDATES_KEY, text(r.key()));
        assertEquals(json, text(r.value()), "unsigned: untouched");
    }

    @Test
    void deadLettersKeepTheirRecordAndAddTheReason() throws Exception {
        Properties producer = new Properties();
        RawFrame raw = new RawFrame("frames", 0, 7, 0, "cam-1".getBytes(StandardCharsets.UTF_8), new byte[] {1, 2},
                new String[] {"frame-id"}, new byte[][] {"f-1".getBytes(StandardCharsets.UTF_8)});
        ProducerRecord<byte[], byte[]> r = shipped(KafkaRecords.deadLetters("dlq", producer, null))
                .serialize(new DeadLetter(raw, DeadLetter.STAGE_VALIDATE, "too large"), null, null);
        assertEquals("dlq", r.topic());
        assertEquals("cam-1", text(r.key()));
        assertArrayEquals(new byte[] {1, 2}, r.value());
        assertEquals("f-1", text(r.headers().lastHeader("frame-id").value()));
        assertEquals("too large", text(r.headers().lastHeader(DeadLetterRecords.ERROR_HEADER).value()));
        assertEquals(DeadLetter.STAGE_VALIDATE, text(r.headers().lastHeader(DeadLetterRecords.ERROR_STAGE_HEADER).value()));
    }
}
