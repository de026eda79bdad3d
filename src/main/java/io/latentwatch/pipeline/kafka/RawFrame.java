package io.latentwatch.pipeline.kafka;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * A record of the frames topic as it arrived: where it came from, its key, value and headers, untouched. A Flink
 * POJO (public fields, no-argument constructor) so that it needs no Kryo.
 */
public class RawFrame {

    /** Header of a frames record: the frame's id (UTF-8); without it the frame id is {@link #position()}. */
    public static final String FRAME_ID_HEADER = "frame-id";
    /** Header of a frames record: the capture time, epoch ms in decimal. */
    public static final String CAPTURED_AT_HEADER = "captured-at";

    public String topic;
    public int partition;
    public long offset;
    /** The record's Kafka timestamp (epoch ms), or -1 without one. */
    public long timestamp;
    /** The key as sent: the source id in UTF-8, or null. */
    public byte[] key;
    /** The value as sent: the encoded image, or null (a tombstone). */
    public byte[] value;
    public String[] headerKeys;
    public byte[][] headerValues;

    public RawFrame() {}

    public RawFrame(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value, String[] headerKeys, byte[][] headerValues) {
        this.topic = topic;
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.key = key;
        this.value = value;
        this.headerKeys = headerKeys;
        this.headerValues = headerValues;
    }

    /** A consumer's record as it arrived. */
    public static RawFrame of(ConsumerRecord<byte[], byte[]> r) {
        List<String> keys = new ArrayList<>();
        List<byte[]> values = new ArrayList<>();
        for (Header h : r.headers()) {
            keys.add(h.key());
            values.add(h.value());
        }
        return new RawFrame(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value(), keys.toArray(String[]::new),
                values.toArray(byte[][]::new));
    }

    /** The last value of a header, or null when the record has none of that name. */
    public byte[] header(String name) {
        if (headerKeys == null) {
            return null;
        }
        for (int i = headerKeys.length - 1; i >= 0; i--) {
            if (name.equals(headerKeys[i])) {
                return headerValues[i];
            }
        }
        return null;
    }

    /** {@code <topic>-<partition>-<offset>}: the frame id of a record without a frame-id header. */
    public String position() {
        return topic + "-" + partition + "-" + offset;
    }

    /** The {@value #FRAME_ID_HEADER} header, or {@link #position()} where it is absent or empty. */
    public String frameId() {
        byte[] header = header(FRAME_ID_HEADER);
        return header == null || header.length == 0 ? position() : new String(header, StandardCharsets.UTF_8);
    }

    /** The key as a string, or null. */
    public String keyString() {
        return key == null ? null : new String(key, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "RawFrame[" + position() + ", key=" + keyString() + ", " + (value == null ? "null" : value.length + " bytes")
                + ", headers=" + (headerKeys == null ? "[]" : Arrays.toString(headerKeys)) + "]";
    }
}
