package io.latentwatch.pipeline.kafka;

import io.latentwatch.model.ModelDirectory;
import io.latentwatch.registry.ModelUpdate;
import io.latentwatch.registry.ModelUpdateSignature;
import io.latentwatch.scoring.Alert;
import io.latentwatch.scoring.ScoredFrame;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.OptionalInt;
import java.util.Properties;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.connector.kafka.sink.KafkaRecordSerializationSchema;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.util.Collector;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.record.AbstractRecords;
import org.apache.kafka.common.record.CompressionType;
import org.apache.kafka.common.record.RecordBatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The job's Kafka (de)serialisers: frames in; latents, alerts and dead letters out (DESIGN.md's wire formats). */
public final class KafkaRecords {

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

    private KafkaRecords() {}

    /** A frames record, key, value and headers untouched, with its topic, partition, offset and timestamp. */
    public static final class FramesDeserializer implements KafkaRecordDeserializationSchema<RawFrame> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<RawFrame> out) {
            List<String> keys = new ArrayList<>();
            List<byte[]> values = new ArrayList<>();
            for (Header h : r.headers()) {
                keys.add(h.key());
                values.add(h.value());
            }
            out.collect(new RawFrame(r.topic(), r.partition(), r.offset(), r.timestamp(), r.key(), r.value(),
                    keys.toArray(String[]::new), values.toArray(byte[][]::new)));
        }

        @Override
        public TypeInformation<RawFrame> getProducedType() {
            return TypeInformation.of(RawFrame.class);
        }
    }

    /** latents: key = source, value = {@link JsonRecords#latents(ScoredFrame)}. */
    public static final class LatentsSerializer implements KafkaRecordSerializationSchema<ScoredFrame> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public LatentsSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(ScoredFrame f, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, utf8(f.source), utf8(JsonRecords.latents(f)));
        }
    }

    /** alerts: key = source, value = {@link JsonRecords#alert(Alert)}. */
    public static final class AlertsSerializer implements KafkaRecordSerializationSchema<Alert> {
        private static final long serialVersionUID = 1L;
        private final String topic;

        public AlertsSerializer(String topic) {
            this.topic = topic;
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(Alert a, KafkaSinkContext context, Long timestamp) {
            return new ProducerRecord<>(topic, utf8(a.source), utf8(JsonRecords.alert(a)));
        }
    }

    /**
     * frames-dlq: the original key, value and headers, plus {@value #ERROR_HEADER} (the reason) and {@value
     * #ERROR_STAGE_HEADER}. A dead letter always fits the records the topic takes: one that would be larger than the
     * budget (the producer's {@code max.request.size}, and the topic's {@code max.message.bytes} where the broker
     * tells it) keeps key, headers and reason and as much of the value as fits, and says so with {@value
     * #TRUNCATED_HEADER}{@code =true}, {@value #ORIGINAL_SIZE_HEADER} and {@value #ORIGINAL_SHA256_HEADER}. Without
     * that a refused frame near the size limit would fail the sink, and the restart would replay it: an outage.
     */
    public static final class DeadLetterSerializer implements KafkaRecordSerializationSchema<DeadLetter> {
        private static final long serialVersionUID = 1L;
        private static final Logger LOG = LoggerFactory.getLogger(DeadLetterSerializer.class);
        private final String topic;
        private final int maxRequestSize;
        private final String compression;
        /** To ask the broker for the topic's limit; null not to ask. */
        private final HashMap<String, Object> adminProperties;
        private transient int budget;

        /** A serializer with the budget of a producer's settings alone ({@code max.request.size}, {@code compression.type}). */
        public DeadLetterSerializer(String topic, Properties producer) {
            this(topic, producer, null);
        }

        /**
         * @param producer the sink's producer settings
         * @param admin client settings to ask the broker for the topic's {@code max.message.bytes} at open, or null
         */
        public DeadLetterSerializer(String topic, Properties producer, KafkaClientConfig admin) {
            this.topic = topic;
            this.maxRequestSize = producerSetting(producer, ProducerConfig.MAX_REQUEST_SIZE_CONFIG);
            this.compression = producer.getProperty(ProducerConfig.COMPRESSION_TYPE_CONFIG, "none");
            this.adminProperties = admin == null ? null : new HashMap<>(admin.toMap());
            this.budget = maxRequestSize;
        }

        @Override
        public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) {
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
        public ProducerRecord<byte[], byte[]> serialize(DeadLetter d, KafkaSinkContext context, Long timestamp) {
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
                return new ProducerRecord<>(topic, null, null, key, f.value, headers);
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
            return new ProducerRecord<>(topic, null, null, key, Arrays.copyOf(value, keep), headers);
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

    /** A producer setting of type int, the producer's default where unset. */
    public static int producerSetting(Properties producer, String key) {
        Object v = producer.getProperty(key);
        if (v == null) {
            v = ProducerConfig.configDef().defaultValues().get(key);
        }
        return Integer.parseInt(String.valueOf(v).trim());
    }

    /**
     * model-updates: key = {@value #MODEL_UPDATES_KEY} (one partition keeps the decisions in order), value = the JSON,
     * signed ({@link ModelUpdateSignature}) when a key file is configured.
     */
    public static final class ModelUpdatesSerializer implements KafkaRecordSerializationSchema<String> {
        private static final long serialVersionUID = 1L;
        private final String topic;
        private final String signingKeyFile;
        private transient ModelUpdateSignature signature;

        public ModelUpdatesSerializer(String topic) {
            this(topic, null);
        }

        /** @param signingKeyFile the secret file with the HMAC key, or null to write unsigned records */
        public ModelUpdatesSerializer(String topic, String signingKeyFile) {
            this.topic = topic;
            this.signingKeyFile = signingKeyFile;
        }

        @Override
        public void open(SerializationSchema.InitializationContext context, KafkaSinkContext sinkContext) throws Exception {
            signature = signingKeyFile == null ? null : ModelUpdateSignature.fromKeyFile(Paths.get(signingKeyFile));
        }

        @Override
        public ProducerRecord<byte[], byte[]> serialize(String json, KafkaSinkContext context, Long timestamp) {
            String value = signature == null ? json : signature.sign(ModelUpdate.fromJson(json)); // the job's own records always parse
            return new ProducerRecord<>(topic, utf8(MODEL_UPDATES_KEY), utf8(value));
        }
    }

    /** Key of every model-updates record. */
    public static final String MODEL_UPDATES_KEY = "latentwatch";

    /** model-updates values as JSON text; parsing (and refusing) is the scorer's. */
    public static final class ModelUpdatesDeserializer implements KafkaRecordDeserializationSchema<String> {
        private static final long serialVersionUID = 1L;

        @Override
        public void deserialize(ConsumerRecord<byte[], byte[]> r, Collector<String> out) {
            if (r.value() != null) {
                out.collect(new String(r.value(), StandardCharsets.UTF_8));
            }
        }

        @Override
        public TypeInformation<String> getProducedType() {
            return TypeInformation.of(String.class);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
