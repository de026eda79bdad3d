package io.latentwatch.pipeline.kafka;

import static io.latentwatch.pipeline.kafka.KafkaRecords.utf8;

import io.latentwatch.model.ModelDirectory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.OptionalInt;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * frames-dlq: the original key, value and headers, plus {@value #ERROR_HEADER} (the reason) and {@value
 * #ERROR_STAGE_HEADER}. A dead letter always fits the records the topic takes: one that would be larger than the
 * budget (the producer's {@code max.request.size}, and the topic's {@code max.message.bytes} where the broker tells
 * it) keeps key, headers and reason and as much of the value as fits, and says so with {@value
 * #TRUNCATED_HEADER}{@code =true}, {@value #ORIGINAL_SIZE_HEADER} and {@value #ORIGINAL_SHA256_HEADER}. Without that
 * a refused frame near the size limit would fail the sink, and the restart would replay it: an outage.
 */
public final class DeadLetterRecords implements RecordSerializer.Contents<DeadLetter> {

    /** Header of a dead letter: why the frame was refused. */
    public static final String ERROR_HEADER = "error";
    /** Header of a dead letter: the stage that refused it (decode or validate). */
    public static final String ERROR_STAGE_HEADER = "error-stage";
    /** Header of a dead letter whose value was cut to fit: {@code true}. */
    public static final String TRUNCATED_HEADER = "truncated";
    /** Header of a cut dead letter: the value's size in bytes before the cut. */
    public static final String ORIGINAL_SIZE_HEADER = "original-size";
    /** Header of a cut dead letter: lower-case hex sha256 of the whole value. */
    public static final String ORIGINAL_SHA256_HEADER = "original-sha256";
    /** Header of a cut dead letter whose original headers alone were over the budget: how many were dropped. */
    public static final String HEADERS_DROPPED_HEADER = "original-headers-dropped";
    /** Header of a cut dead letter whose key alone was over the budget: the key's size before the cut. */
    public static final String KEY_TRUNCATED_HEADER = "original-key-size";

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterRecords.class);

    private final int maxRequestSize;
    private final String compression;
    /** To ask the broker for the topic's limit; null not to ask. */
    private final HashMap<String, Object> adminProperties;
    private transient int budget;

    /**
     * @param producer the sink's producer settings ({@code max.request.size}, {@code compression.type})
     * @param admin client settings to ask the broker for the topic's {@code max.message.bytes} at open, or null to
     *     cut to the producer's settings alone
     */
    public DeadLetterRecords(Properties producer, KafkaClientConfig admin) {
        this.maxRequestSize = KafkaRecords.producerSetting(producer, ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
        this.compression = producer.getProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
        this.adminProperties = admin == null ? null : new HashMap<>(admin.toMap());
        this.budget = maxRequestSize;
    }

    @Override
    public void open(String topic) {
        budget = maxRequestSize;
        if (adminProperties != null) {
            try {
                OptionalInt topicLimit = BrokerLimits.topicMaxMessageBytes(KafkaClientConfig.of(adminProperties), topic, 10_000);
                if (topicLimit.isPresent() && topicLimit.getAsInt() < budget) {
                    budget = topicLimit.getAsInt();
                }
            } catch (IllegalStateException e) {
                LOG.warn("could not ask the broker for {}'s max.message.bytes ({}); dead letters are cut to max.request.size", topic,
                        e.getMessage());
            }
        }
        LOG.info("dead letters on {} are cut to {} bytes (max.request.size {})", topic, budget, maxRequestSize);
    }

    /** The largest dead letter written, in Kafka's upper-bound estimate of a record batch holding it. */
    public int budget() {
        return budget;
    }

    @Override
    public RecordSerializer.Parts of(DeadLetter d) {
        RawFrame f = d.frame;
        List<Header> original = new ArrayList<>();
        if (f.headerKeys != null) {
            for (int i = 0; i < f.headerKeys.length; i++) {
                original.add(new RecordHeader(f.headerKeys[i], f.headerValues[i]));
            }
        }
        List<Header> reason = List.of(new RecordHeader(ERROR_HEADER, utf8(d.error)), new RecordHeader(ERROR_STAGE_HEADER, utf8(d.stage)));
        List<Header> headers = concat(original, reason);
        byte[] key = f.key;
        byte[] value = f.value == null ? new byte[0] : f.value;
        if (size(key, value, headers) <= budget) {
            return new RecordSerializer.Parts(key, f.value, headers);
        }
        List<Header> cut = List.of(new RecordHeader(TRUNCATED_HEADER, utf8("true")),
                new RecordHeader(ORIGINAL_SIZE_HEADER, utf8(String.valueOf(value.length))),
                new RecordHeader(ORIGINAL_SHA256_HEADER, utf8(ModelDirectory.sha256(value))));
        headers = concat(headers, cut);
        // a key and headers that fill the budget alone (a foreign client's): they go too, the reason stays
        if (size(key, new byte[0], headers) > budget) {
            headers = concat(reason, concat(cut, List.of(new RecordHeader(HEADERS_DROPPED_HEADER, utf8(String.valueOf(original.size()))))));
        }
        if (size(key, new byte[0], headers) > budget && key != null) {
            headers = concat(headers, List.of(new RecordHeader(KEY_TRUNCATED_HEADER, utf8(String.valueOf(key.length)))));
            key = Arrays.copyOf(key, Math.max(0, Math.min(key.length, budget - size(new byte[0], new byte[0], headers) - 16)));
        }
        int room = budget - size(key, new byte[0], headers);
        // the estimate grows by a few bytes with the value's length varint: shrink until it fits
        int keep = Math.max(0, Math.min(value.length, room));
        while (keep > 0 && size(key, Arrays.copyOf(value, keep), headers) > budget) {
            keep = Math.max(0, keep - 8);
        }
        return new RecordSerializer.Parts(key, Arrays.copyOf(value, keep), headers);
    }

    private static List<Header> concat(List<Header> a, List<Header> b) {
        List<Header> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private int size(byte[] key, byte[] value, List<Header> headers) {
        return AbstractRecords.estimateSizeInBytesUpperBound(
                RecordBatch.CURRENT_MAGIC_VALUE,
                CompressionType.forName(compression), key, value, headers.toArray(Header[]::new));
    }
}
