package io.latentwatch.pipeline.kafka;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A record of the frames topic as it arrived: where it came from, its key, value and headers, untouched. A Flink
 * POJO (public fields, no-argument constructor) so that it needs no Kryo.
 */
public class RawFrame {

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
