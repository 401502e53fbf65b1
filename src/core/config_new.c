/* A configuration on the heap, for bindings that cannot size EmoConfig. */
#include <stdlib.h>

#include <emoscope/config.h>

int emo_config_new(EmoConfig **out)
{
    *out = malloc(sizeof(**out));
    if (!*out)
        return EMO_ENOMEM;
    emo_config_defaults(*out);
    return 0;
}

void emo_config_free(EmoConfig **cfg)
{
    if (!cfg || !*cfg)
        return;
    emo_config_clear(*cfg);
    free(*cfg);
    *cfg = NULL;
}
