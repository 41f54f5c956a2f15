/* Bad network descriptions: each is refused with "source:line: reason",
 * the line and reason as stated, never a crash. */
#include "check.h"
#include "reference.h"

static void expect(const char *text, const char *where, const char *why)
{
    char err[CNN_ERR_LEN];
    cnn_net *net = cnn_net_parse(text, "bad.net", err);
    if (net) FAIL("accepted, expected \"%s\": %s", why, text);
    if (strncmp(err, where, strlen(where)) || !strstr(err, why))
        FAIL("message \"%s\" is not \"%s ... %s\"", err, where, why);
}

#define IN  "input channels=1 height=28 width=28\n"
#define END "dense units=10\nloss softmax-cross-entropy\n"

int main(void)
{
    expect("", "bad.net:1:", "the description is empty");
    expect("# only a comment\n\n", "bad.net:3:", "the description is empty");
    expect(IN "conv filters=2 size=5\n", "bad.net:3:", "no loss line");
    expect(IN "convolution filters=2 size=5\n" END, "bad.net:2:", "unknown layer 'convolution'");
    expect(IN "conv filters=2 size=5 colour=red\n" END,
           "bad.net:2:", "unknown option 'colour' for conv");
    expect(IN "conv filters=2\n" END, "bad.net:2:", "conv needs size=");
    expect(IN "conv filters= size=5\n" END, "bad.net:2:", "'filters=' is not key=value");
    expect(IN "conv filters=two size=5\n" END, "bad.net:2:", "filters=two is not a whole number");
    expect(IN "conv filters=0 size=5\n" END, "bad.net:2:", "filters=0 is out of range");
    expect(IN "conv filters=-3 size=5\n" END, "bad.net:2:", "filters=-3 is not a whole number");
    expect(IN "conv filters=99999999999999999999 size=5\n" END,
           "bad.net:2:", "is not a whole number");
    expect(IN "conv filters=100000 size=5\n" END, "bad.net:2:", "filters=100000 is out of range");
    expect(IN "conv filters=2 size=29\n" END,
           "bad.net:2:", "kernel height 29 is larger than its input 28");
    expect(IN "conv filters=2 size=3x30\n" END, "bad.net:2:", "kernel width 30 is larger");
    expect(IN "conv filters=2 size=5 stride=0\n" END, "bad.net:2:", "stride=0 is out of range");
    expect(IN "conv filters=2 size=3 pad=3\n" END,
           "bad.net:2:", "pad=3 must be smaller than the kernel");
    expect(IN "conv filters=2 size=5 act=swish\n" END,
           "bad.net:2:", "act=swish is not an activation");
    expect(IN "conv filters=2 size=5 act=relu slope=0.1\n" END,
           "bad.net:2:", "slope= goes with act=leaky");
    expect(IN "conv filters=2 size=5 slope=0.1\n" END, "bad.net:2:", "slope= goes with act=leaky");
    expect(IN "conv filters=4 size=3 groups=3\n" END,
           "bad.net:2:", "groups=3 does not divide the input's 1 channels");
    expect(IN "conv filters=4 size=3\nconv filters=6 size=3 groups=4\n" END,
           "bad.net:3:", "groups=4 does not divide filters=6");
    expect(IN "conv filters=4 size=3 groups=0\n" END, "bad.net:2:", "groups=0 is out of range");
    expect(IN "maxpool size=2 groups=2\n" END, "bad.net:2:", "unknown option 'groups' for maxpool");
    expect(IN "dense units=4 act=leaky slope=0\n" END, "bad.net:2:", "slope=0 is out of range");
    expect(IN "dense units=4 act=leaky slope=1.5\n" END, "bad.net:2:", "slope=1.5 is out of range");
    expect(IN "maxpool size=29\n" END,
           "bad.net:2:", "window height 29 is larger than its input 28");
    expect(IN "conv filters=2 size=27\nmaxpool size=3\n" END,
           "bad.net:3:", "window height 3 is larger than its input 2");
    expect(IN "maxpool size=2 pad=1\n" END, "bad.net:2:", "unknown option 'pad' for maxpool");
    expect("dense units=10\nloss softmax-cross-entropy\n",
           "bad.net:1:", "dense before the input line");
    expect(IN IN END, "bad.net:2:", "input given twice");
    expect("input channels=1 height=28\n" END, "bad.net:1:", "input needs width=");
    expect("input channels=1 height=65536 width=65536\n" END,
           "bad.net:1:", "the input is too large");
    expect("input channels=1 height=4096 width=4096\nconv filters=8 size=1\n" END,
           "bad.net:2:", "conv output of 134217728 values per image is too large");
    expect(IN "conv filters=60000 size=1\n" END, "bad.net:3:", "more than 268435456 parameters");
    expect(IN "dense units=10 act=relu\nloss softmax-cross-entropy\n",
           "bad.net:3:", "must have act=none");
    expect(IN "dense units=2\nloss binary-cross-entropy\n", "bad.net:3:", "needs sigmoid outputs");
    expect(IN "dense units=1\nloss mean-squared-error\n",
           "bad.net:3:", "a classifier needs 2 to 256");
    expect(IN "conv filters=2 size=5\nmaxpool size=2\nloss softmax-cross-entropy\n",
           "bad.net:4:", "the loss needs a conv or dense layer before it");
    expect(IN "loss softmax-cross-entropy\n", "bad.net:2:", "loss before any layer");
    expect(IN "dense units=10\nloss hinge\n", "bad.net:3:", "unknown loss 'hinge'");
    expect(IN END "dense units=10\n", "bad.net:4:", "only a train line may follow the loss line");
    expect(IN END "train lr=fast\n", "bad.net:4:", "lr=fast is not a number");
    expect(IN END "train epochs=0\n", "bad.net:4:", "epochs=0 is out of range");
    expect(IN END "train lr=-0.05\n", "bad.net:4:", "lr=-0.05 is out of range (1e-09 to 100)");
    expect(IN END "train momentum=1.5\n",
           "bad.net:4:", "momentum=1.5 is out of range (0 to 0.999)");
    expect(IN END "train weight-decay=-10\n", "bad.net:4:", "weight-decay=-10 is out of range");
    expect(IN END "train batch=0\n", "bad.net:4:", "batch=0 is out of range (1 to 65536)");
    expect(IN END "train batch=1000000\n", "bad.net:4:", "batch=1000000 is out of range");
    expect(IN END "train shift=64\n", "bad.net:4:", "shift=64 is out of range (0 to 8)");
    /* every field of the recipe table, just outside its range at either end;
     * at its ends, accepted */
    for (int f = 0; f < CNN_RECIPE_FIELDS; f++) {
        const cnn_recipe_limit *L = &cnn_recipe_limits[f];
        char text[256], why[64];
        double outside[2] = { L->whole ? L->lo - 1 : L->lo - 1e-3,
                              L->whole ? L->hi + 1 : L->hi * 1.01 };
        for (int i = 0; i < 2; i++) {
            snprintf(text, sizeof text, IN END "train %s=%.9g\n", L->name, outside[i]);
            snprintf(why, sizeof why, "%s=%.9g is %s", L->name, outside[i],
                     outside[i] < 0 && L->whole ? "not a whole number" : "out of range");
            expect(text, "bad.net:4:", why);
            char err[CNN_ERR_LEN];
            snprintf(text, sizeof text, IN END "train %s=%.9g\n", L->name, i ? L->hi : L->lo);
            cnn_net *net = cnn_net_parse(text, "good.net", err);
            if (!net) FAIL("%s refused: %s", text, err);
            CHECK(cnn_recipe_get(&net->recipe, (cnn_recipe_field)f) == (float)(i ? L->hi : L->lo));
            CHECK_OK(cnn_recipe_check(&net->recipe, "good.net", err), err);
            cnn_net_free(net);
        }
    }
    expect(IN "\x7f\x45\x4c\x46\x02\x01\x01\n" END, "bad.net:2:", "not a text description");
    expect("input channels=1 height=28 width=28 \x01\n", "bad.net:1:", "unexpected byte 0x01");
    static char longline[5000];
    memset(longline, 'a', sizeof longline - 1);
    expect(longline, "bad.net:1:", "line longer than 1024 characters");
    expect(IN "conv a=1 b=2 c=3 d=4 e=5 f=6 g=7 h=8 i=9 j=10 k=11 l=12 m=13 n=14 o=15 p=16\n",
           "bad.net:2:", "too many words");

    /* graphs: names, inputs, shapes, cycles, unused branches */
#define CONV "conv name=a filters=2 size=3 pad=1\n"
    expect(IN CONV "conv name=a filters=2 size=3 pad=1\n" END,
           "bad.net:3:", "name=a is taken by line 2");
    expect(IN "conv name=input filters=2 size=3\n" END,
           "bad.net:2:", "input names the network's input");
    expect(IN "conv name=a/b filters=2 size=3\n" END, "bad.net:2:", "a name is 1 to 31 letters");
    expect(IN "conv name=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa filters=2 size=3\n" END,
           "bad.net:2:", "a name is 1 to 31");
    expect(IN CONV "conv filters=2 size=3 pad=1 from=b\n" END,
           "bad.net:3:", "from=b: no layer above is named b");
    /* a cycle: a layer reading one below it, or itself */
    expect(IN CONV "conv filters=2 size=3 pad=1 from=c\nadd name=c from=a\n" END,
           "bad.net:3:", "from=c: no layer above is named c");
    expect(IN "conv name=s filters=2 size=3 from=s\n" END,
           "bad.net:2:", "from=s: no layer above is named s");
    expect(IN CONV "conv filters=2 size=3 from=a,input\n" END,
           "bad.net:3:", "conv takes 1 input; from= names 2");
    expect(IN CONV "add from=a,a,a\n" END, "bad.net:3:", "add takes 2 inputs; from= names 3");
    expect(IN CONV "add\n" END, "bad.net:3:", "add needs from= (its second input)");
    expect(IN CONV "add from=,\n" END, "bad.net:3:", "from= names no layer");
    expect(IN CONV "add from=input\n" END,
           "bad.net:3:", "add: a's output is 2x28x28 but input's is 1x28x28 (they must match)");
    expect(IN CONV "conv filters=2 size=3\nadd from=a\n" END,
           "bad.net:4:", "add: line 3's output is 2x26x26 but a's is 2x28x28");
    /* an unused branch: a layer nobody reads */
    expect(IN CONV "conv filters=2 size=3 pad=1\nconv filters=2 size=3 from=a\n" END,
           "bad.net:3:", "conv's output is never read");
    /* and graphs that are right */
    const char *good[] = {
        IN CONV "conv filters=2 size=3 pad=1\nadd from=a act=relu\n" END,
        IN "add from=input,input\n" END,
        IN CONV "dropout rate=0.5\nconv filters=2 size=1\nadd from=a\n" END,
    };
    for (size_t k = 0; k < sizeof good / sizeof good[0]; k++) {
        char err[CNN_ERR_LEN];
        cnn_net *net = cnn_net_parse(good[k], "good.net", err);
        if (!net) FAIL("%s refused: %s", good[k], err);
        cnn_net_free(net);
    }
    /* every entry of the table of layer kinds: its example line parses */
    for (int k = 0; k < CNN_LAYER_KINDS; k++) {
        char text[1024], err[CNN_ERR_LEN];
        CHECK(layer_kinds[k].kind == (cnn_layer_kind)k);
        reference_example_net(&layer_kinds[k], text, sizeof text);
        cnn_net *net = cnn_net_parse(text, layer_kinds[k].name, err);
        if (!net) FAIL("the %s example: %s", layer_kinds[k].name, err);
        CHECK(net->n_layers >= 2 && net->layers[net->n_layers - 2].kind == (cnn_layer_kind)k);
        cnn_net_free(net);
    }

    /* a file that is not there, or is a folder */
    char err[CNN_ERR_LEN];
    CHECK(cnn_net_load("/nonexistent/x.net", err) == NULL);
    CHECK(strstr(err, "/nonexistent/x.net: No such file") != NULL);
    CHECK(cnn_net_load("/tmp", err) == NULL);
    CHECK(strstr(err, "/tmp: ") != NULL);
    CHECK(cnn_net_load("seed005", err) == NULL);
    CHECK(strstr(err, "seed005: no such network") != NULL);
    /* every shipped network named, the last closing the list */
    CHECK(strstr(err, "shipped: seed000, ") != NULL);
    for (const cnn_builtin_net *b = cnn_builtin_nets; b->name; b++) {
        char named[64];
        snprintf(named, sizeof named, " %s%s", b->name, b[1].name ? "," : ")");
        if (!strstr(err, named)) FAIL("\"%s\" does not name %s", err, b->name);
    }
    printf("bad descriptions refused with file:line: reason; the recipe table's "
           "ends, 3 graphs and every layer kind's example accepted\n");
    return 0;
}
