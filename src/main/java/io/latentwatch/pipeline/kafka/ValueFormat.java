package io.latentwatch.pipeline.kafka;

/**
 * How the latents and alerts sinks write their record values ({@code latentwatch.topics.value-format}). The key is the
 * source id in UTF-8 either way, and the fields are the same.
 */
public enum ValueFormat {
    /** A JSON object per record ({@link JsonRecords}): what the job has always written, and the default. */
    JSON,
    /**
     * Plain Avro binary of the repository's schemas ({@link AvroRecords}: {@code avro/latents.avsc}, {@code
     * avro/alerts.avsc}), without a schema registry's framing: what Flink SQL's {@code 'format' = 'avro'} and any Avro
     * decoder given the schema read.
     */
    AVRO
}
