package io.latentwatch.architecture;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures;
import org.junit.jupiter.api.Test;

/**
 * DESIGN.md's package table as rules over the main classes: engines know nothing of Flink, every Flink function lives
 * in {@code pipeline.operators}, and arrows point down the table.
 */
class LayeringTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.latentwatch");

    @Test
    void enginesKnowNothingOfFlink() {
        ArchRule rule = noClasses()
            .that().resideOutsideOfPackages("io.latentwatch.pipeline..", "io.latentwatch.dev..", "io.latentwatch.cli..")
            .should().dependOnClassesThat().resideInAPackage("org.apache.flink..")
            .because("the engines (model, scoring, training, tuning, registry, evaluation) run without Flink");
        rule.check(MAIN);
    }

    @Test
    void nothingImportsTheCommandLine() {
        ArchRule rule = noClasses()
            .that().resideOutsideOfPackage("io.latentwatch.cli..")
            .should().dependOnClassesThat().resideInAPackage("io.latentwatch.cli..")
            .because("the command line sits on top: picocli only");
        rule.check(MAIN);
    }

    @Test
    void developmentToolsOnlyForTheCommandLine() {
        ArchRule rule = noClasses()
            .that().resideOutsideOfPackages("io.latentwatch.cli..", "io.latentwatch.dev..")
            .should().dependOnClassesThat().resideInAPackage("io.latentwatch.dev..")
            .because("the cluster jar leaves dev out: the job must not need it");
        rule.check(MAIN);
    }

    @Test
    void theConsoleReadsKafkaWithoutFlinkOrTheJob() {
        ArchRule rule = noClasses()
            .that().resideInAPackage("io.latentwatch.console..")
            .should().dependOnClassesThat().resideInAnyPackage("org.apache.flink..", "io.latentwatch.pipeline", "io.latentwatch.pipeline.operators..")
            .because("the alert console watches the job's topics with a plain Kafka consumer; it runs beside the job, not in it");
        rule.check(MAIN);
    }

    @Test
    void flinkFunctionsLiveInOperators() {
        ArchRule rule = noClasses()
            .that().resideOutsideOfPackage("io.latentwatch.pipeline.operators..")
            .should().beAssignableTo(org.apache.flink.api.common.functions.Function.class)
            .orShould().beAssignableTo(org.apache.flink.streaming.api.operators.StreamOperator.class)
            .because("every Flink function lives in pipeline.operators");
        rule.check(MAIN);
    }

    @Test
    void noCyclesBetweenPackages() {
        ArchRule rule = slices()
            .matching("io.latentwatch.(**)").should().beFreeOfCycles();
        rule.check(MAIN);
    }

    /** The table's order: a package may use only those below it. */
    @Test
    void arrowsPointDownTheTable() {
        ArchRule rule = Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("cli").definedBy("io.latentwatch.cli..")
            .layer("dev").definedBy("io.latentwatch.dev..")
            .layer("console").definedBy("io.latentwatch.console..")
            .layer("pipeline").definedBy("io.latentwatch.pipeline")
            .layer("operators").definedBy("io.latentwatch.pipeline.operators..")
            .layer("kafka").definedBy("io.latentwatch.pipeline.kafka..")
            .layer("tuning").definedBy("io.latentwatch.tuning..")
            .layer("registry").definedBy("io.latentwatch.registry..")
            .layer("evaluation").definedBy("io.latentwatch.evaluation..")
            .layer("training").definedBy("io.latentwatch.training..")
            .layer("scoring").definedBy("io.latentwatch.scoring..")
            .layer("data").definedBy("io.latentwatch.data..")
            .layer("frames").definedBy("io.latentwatch.frames..")
            .layer("model").definedBy("io.latentwatch.model..")
            .whereLayer("cli").mayNotBeAccessedByAnyLayer()
            .whereLayer("dev").mayOnlyBeAccessedByLayers("cli")
            .whereLayer("console").mayOnlyBeAccessedByLayers("cli")
            .whereLayer("pipeline").mayOnlyBeAccessedByLayers("cli", "dev")
            .whereLayer("operators").mayOnlyBeAccessedByLayers("cli", "dev", "pipeline")
            .whereLayer("kafka").mayOnlyBeAccessedByLayers("cli", "dev", "console", "pipeline", "operators")
            .whereLayer("tuning").mayOnlyBeAccessedByLayers("cli", "dev", "pipeline", "operators", "kafka")
            .whereLayer("registry").mayOnlyBeAccessedByLayers("cli", "dev", "console", "pipeline", "operators", "kafka", "tuning")
            .whereLayer("evaluation").mayOnlyBeAccessedByLayers("cli", "dev", "pipeline", "operators", "kafka", "tuning",
                    "registry")
            .whereLayer("training").mayOnlyBeAccessedByLayers("cli", "dev", "pipeline", "operators", "kafka", "tuning",
                    "registry", "evaluation")
            .whereLayer("scoring").mayOnlyBeAccessedByLayers("cli", "dev", "pipeline", "operators", "kafka", "tuning",
                    "registry", "evaluation", "training")
            .whereLayer("data").mayOnlyBeAccessedByLayers("cli", "dev", "pipeline", "operators", "kafka", "tuning",
                    "registry", "evaluation", "training", "scoring")
            .whereLayer("frames").mayOnlyBeAccessedByLayers("cli", "dev", "console", "pipeline", "operators", "kafka", "tuning",
                    "registry", "evaluation", "training", "scoring", "data");
        rule.check(MAIN);
    }
}
