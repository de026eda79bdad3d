package io.latentwatch.pipeline.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.latentwatch.model.ModelDirectory;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.junit.jupiter.api.Test;

/** A dead letter always fits the budget, whatever a foreign client put into its key, headers and value. */
class DeadLetterSerializerTest {

    private static final int BUDGET = 4096;

    private static RecordSerializer<DeadLetter> serializer() {
        Properties producer = new Properties();
        producer.setProperty("max.request.size", String.valueOf(BUDGET));
        return KafkaRecords.deadLetters("dlq", producer, null);
    }

    private static ProducerRecord<byte[], byte[]> deadLetter(byte[] key, byte[] value, String[] headerKeys, byte[][] headerValues) {
        RawFrame raw = new RawFrame("frames", 0, 7, 0, key, value, headerKeys, headerValues);
        return serializer().serialize(new DeadLetter(raw, DeadLetter.STAGE_DECODE, "undecodable image: test"), null, null);
    }

    private static int size(ProducerRecord<byte[], byte[]> r) {
        return AbstractRecords.estimateSizeInBytesUpperBound(RecordBatch.CURRENT_MAGIC_VALUE, CompressionType.NONE, r.key(), r.value(),
                r.headers().toArray());
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String key) {
        Header h = r.headers().lastHeader(key);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    @Test
    void aSmallDeadLetterIsTheRecordAsItCameWithItsReason() {
        byte[] value = "not an image".getBytes(StandardCharsets.UTF_8);
        ProducerRecord<byte[], byte[]> r = deadLetter("cam-1".getBytes(StandardCharsets.UTF_8), value, new String[] {"frame-id"},
                new byte[][] {"f-1".getBytes(StandardCharsets.UTF_8)});
        assertArrayEquals(value, r.value());
        assertEquals("f-1", header(r, "frame-id"));
        assertEquals("undecodable image: test", header(r, "error"));
        assertNull(header(r, "truncated"));
        assertNull(deadLetter(null, null, null, null).value(), "a tombstone stays a tombstone");
    }

    @Test
    void aLargeValueIsCutToFitAndSaysSo() {
        byte[] value = new byte[3 * BUDGET];
        Arrays.fill(value, (byte) 7);
        ProducerRecord<byte[], byte[]> r = deadLetter("cam-1".getBytes(StandardCharsets.UTF_8), value, new String[] {"frame-id"},
                new byte[][] {"f-1".getBytes(StandardCharsets.UTF_8)});
        assertTrue(size(r) <= BUDGET, "fits: " + size(r));
        assertTrue(r.value().length > BUDGET - 400, "as much of the value as fits: " + r.value().length);
        assertArrayEquals(Arrays.copyOf(value, r.value().length), r.value());
        assertEquals("true", header(r, "truncated"));
        assertEquals(String.valueOf(value.length), header(r, "original-size"));
        assertEquals(ModelDirectory.sha256(value), header(r, "original-sha256"));
        assertEquals("f-1", header(r, "frame-id"));
    }

    @Test
    void headersOrAKeyThatFillTheBudgetAloneGoTooButTheReasonStays() {
        byte[] big = new byte[2 * BUDGET];
        ProducerRecord<byte[], byte[]> r = deadLetter("cam-1".getBytes(StandardCharsets.UTF_8), new byte[10], new String[] {"a", "b"},
                new byte[][] {big, big});
        assertTrue(size(r) <= BUDGET, "fits: " + size(r));
        assertEquals("2", header(r, "original-headers-dropped"));
        assertNull(header(r, "a"));
        assertEquals("undecodable image: test", header(r, "error"));
        assertEquals("cam-1", new String(r.key(), StandardCharsets.UTF_8));

        r = deadLetter(big, null, null, null);
        assertTrue(size(r) <= BUDGET, "fits: " + size(r));
        assertEquals(String.valueOf(big.length), header(r, "original-key-size"));
        assertEquals("0", header(r, "original-size"));
        assertEquals("decode", header(r, "error-stage"));
    }
}
